// The user-text rule (sweeps/user_text.h) on its own: what one-line text and free text refuse and
// allow, how the reason shows the text, and where in a file the first refused byte is.
#include "sweeps/config_schema.h"
#include "sweeps/user_text.h"

#include <cstdio>
#include <sstream>

#include <gtest/gtest.h>

#include "sweeps/unicode_nfd.h"

namespace ms {
namespace {

TEST(UserText, OneLineTextRefusesEveryControlCharacterAndBadUtf8) {
  for (const std::string& bad :
       {std::string("bad\x01"
                    "ctrl"),
        std::string("a\nb"), std::string("a\tb"), std::string("x\x7f"), std::string("\xff"), std::string("caf\xc3"),
        std::string("csi \xc2\x9b"
                    "31m"),
        std::string("\x1b[31mRED"), std::string("nul\0in", 6)}) {
    const auto problem = text_problem(bad, "label");
    ASSERT_TRUE(problem) << printable(bad);
    EXPECT_EQ(problem->rfind("label '", 0), 0u) << *problem;
    EXPECT_TRUE(valid_utf8(*problem)) << "the reason itself is clean UTF-8";
    EXPECT_FALSE(first_bad_text_byte(*problem)) << *problem;
  }
  EXPECT_NE(text_problem("top1\x07"
                         "bell",
                         "reference_metric")
                ->find("contains a control character (U+0007"),
            std::string::npos);
  EXPECT_NE(text_problem("\xff", "note", TextKind::FreeText)->find("is not valid UTF-8"), std::string::npos);
}

TEST(UserText, FreeTextAllowsLineBreaksAndTabsOnly) {
  EXPECT_FALSE(text_problem("line one\n\tline two\n", "note", TextKind::FreeText));
  EXPECT_TRUE(text_problem("a\rb", "note", TextKind::FreeText));
  EXPECT_TRUE(
      text_problem("a\x01"
                   "b",
                   "note", TextKind::FreeText));
  EXPECT_TRUE(text_problem("\x1b[31m", "note", TextKind::FreeText));
  EXPECT_FALSE(text_problem("Δ café 注意 [P,P,A,A] *x* 50%", "label"));
  EXPECT_FALSE(text_problem("", "label"));  // emptiness is the caller's rule
}

TEST(UserText, FirstFlawOfAFileHasLineAndColumn) {
  const auto flaw = first_text_flaw("name: x\r\n# comment\tok\ndescription: a\x07", TextKind::Source);
  ASSERT_TRUE(flaw);
  EXPECT_EQ(flaw->at.line, 3);
  EXPECT_EQ(flaw->at.col, 15);
  EXPECT_EQ(flaw->reason, "contains a control character (U+0007) here");
  EXPECT_FALSE(first_text_flaw("name: x\r\n\tdescription: y\n", TextKind::Source));
  EXPECT_EQ(first_text_flaw("a\n\xff", TextKind::Source)->reason, "is not valid UTF-8 (ill-formed byte here)");
}

// QA ux #8: bidirectional embeddings, overrides and isolates are refused in every kind of text;
// U+2028/U+2029 in one-line text; the marks U+200E/U+200F and right-to-left letters stay allowed.
TEST(UserText, RefusesBidiControlsEverywhereAndLineSeparatorsInOneLineText) {
  for (const char* bidi : {"\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae",
                           "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9"}) {
    const std::string text = std::string("RLO") + bidi + "x";
    for (TextKind kind : {TextKind::Line, TextKind::FreeText, TextKind::Source}) {
      const auto problem = text_problem(text, "label", kind);
      ASSERT_TRUE(problem) << printable(text);
      EXPECT_NE(problem->find("contains a bidirectional formatting character (U+2"), std::string::npos) << *problem;
      EXPECT_FALSE(first_bad_text_byte(*problem)) << "the message shows it, never obeys it: " << *problem;
      EXPECT_EQ(first_bad_text_byte(text, kind), 3u);
    }
  }
  EXPECT_EQ(*text_problem("a\xe2\x80\xae"
                          "b",
                          "label"),
            "label 'a\\u202Eb' contains a bidirectional formatting character (U+202E; U+202A-U+202E and "
            "U+2066-U+2069 are not allowed: they make text display in another order than it is stored)");
  for (const char* separator : {"\xe2\x80\xa8", "\xe2\x80\xa9"}) {
    const std::string text = std::string("a") + separator + "b";
    const auto problem = text_problem(text, "sweep name");
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("contains a line separator (U+202"), std::string::npos) << *problem;
    EXPECT_FALSE(text_problem(text, "note", TextKind::FreeText));  // a line break in free text
  }
  EXPECT_EQ(first_text_flaw("name: x\n# \xe2\x81\xa6 y\n", TextKind::Source)->reason,
            "contains a bidirectional formatting character (U+2066) here");
  // Right-to-left text, its marks, and other format characters stay allowed.
  EXPECT_FALSE(text_problem("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x80\x8f mark \xe2\x80\x8e \xd8\xb3", "label"));
  EXPECT_FALSE(text_problem("e\xcc\x81 \xc3\xa9 \xe2\x80\x93 \xe2\x80\xa6 \xe2\x81\xa0", "label"));
  EXPECT_EQ(printable("a\xe2\x80\xae\xe2\x80\xa8"
                      "b"),
            "a\\u202E\\u2028b");
}

TEST(UserText, PrintableShowsControlsAndBadBytesAsHex) {
  EXPECT_EQ(printable("a\x01\xc2\x9b\xff\nb"), "a\\x01\\xC2\\x9B\\xFF\\x0Ab");
  EXPECT_EQ(printable("café"), "café");
}

// Terminal columns: wide (CJK, fullwidth, emoji) 2, combining and zero-width 0, others 1.
TEST(UserText, TerminalColumnsCountWideAndCombiningCharacters) {
  EXPECT_EQ(terminal_columns("abc"), 3u);
  EXPECT_EQ(terminal_columns("e\xcc\x81"), 1u);                 // e + U+0301 (combining acute)
  EXPECT_EQ(terminal_columns("\xc3\xa9\xce\x94\xc2\xb1"), 3u);  // é Δ ±
  EXPECT_EQ(terminal_columns("日本語"), 6u);
  EXPECT_EQ(terminal_columns("ＡＢ"), 4u);  // fullwidth
  EXPECT_EQ(terminal_columns("🙂"), 2u);
  EXPECT_EQ(terminal_columns("a\xe2\x80\x8b"
                             "b"),
            2u);  // zero-width space
  EXPECT_EQ(terminal_columns("\xff"
                             "a"),
            2u);  // not UTF-8: one column a byte
  EXPECT_EQ(cut_to_columns("日本語テキスト", 7), "日本語…");
  EXPECT_EQ(cut_to_columns("日本語テキスト", 8), "日本語…") << "half a wide character does not fit";
  EXPECT_EQ(cut_to_columns("abcdef", 4), "abc…");
  EXPECT_EQ(cut_to_columns("abc", 3), "abc");
  EXPECT_EQ(cut_to_columns("abc", 0), "");
  EXPECT_EQ(cut_middle_to_columns("abcdefghij", 7), "abc…hij");
  EXPECT_EQ(split("a, b, , c", ", "), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(split("", "\n"), (std::vector<std::string>{""}));
  EXPECT_EQ(join(split("x\n\ny\n", "\n"), "\n"), "x\n\ny\n");
  EXPECT_EQ(cut_middle_to_columns("abcdefghij", 8), "abcd…hij");
  EXPECT_EQ(cut_middle_to_columns("abcdefghij", 10), "abcdefghij");
  EXPECT_EQ(cut_middle_to_columns("日本語テキスト", 9), "日本…スト");
}

// A suggested command's words read back byte for byte by a real /bin/sh, hostile ones included.
TEST(UserText, ShellWordIsReadBackByAShellAsItIs) {
  EXPECT_EQ(shell_word("runs/r1.db"), "runs/r1.db");
  EXPECT_EQ(shell_word("a b"), "'a b'");
  EXPECT_EQ(shell_word(""), "''");
  for (const std::string word : {"a b", "it's", "$(touch pwned)", "`id`", "a\\b", "*", "~", "", "-", "caf\xc3\xa9",
                                 "x;y|z&", "\"q\"", "'", "''", "!x", "#c", "a\tb"}) {
    const std::string command = "printf %s " + shell_word(word);
    FILE* sh = popen(command.c_str(), "r");
    ASSERT_NE(sh, nullptr);
    std::string back;
    char buf[256];
    for (size_t n; (n = fread(buf, 1, sizeof buf, sh)) > 0;) back.append(buf, n);
    EXPECT_EQ(pclose(sh), 0) << command;
    EXPECT_EQ(back, word) << command;
  }
}

// NFD against values from Python's unicodedata.normalize("NFD", ...) (Unicode 14): precomposed
// letters, singletons (U+212B), multi-level decompositions (U+1E69), canonical ordering of marks,
// Hangul syllables by formula; ASCII and bytes that are not UTF-8 unchanged.
TEST(UnicodeNfd, MatchesPythonsUnicodedata) {
  EXPECT_EQ(nfd("abc"), "abc");
  EXPECT_EQ(nfd("caf\xc3\xa9"), "cafe\xcc\x81");
  EXPECT_EQ(nfd("\xe2\x84\xab"), "A\xcc\x8a");                                     // U+212B ANGSTROM SIGN -> A + ring
  EXPECT_EQ(nfd("\xe1\xb9\xa9"), "s\xcc\xa3\xcc\x87");                             // U+1E69: s + dot below + dot above
  EXPECT_EQ(nfd("s\xcc\x87\xcc\xa3"), "s\xcc\xa3\xcc\x87");                        // marks put in canonical order
  EXPECT_EQ(nfd("\xea\xb0\x81"), "\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8");          // U+AC01 -> L V T
  EXPECT_EQ(nfd("\xe6\xb3\xa8\xf0\x9f\x99\x82"), "\xe6\xb3\xa8\xf0\x9f\x99\x82");  // CJK, emoji: as is
  EXPECT_EQ(nfd("a\xff"
                "b"),
            "a\xff"
            "b");
  EXPECT_TRUE(canonically_equivalent_spellings("caf\xc3\xa9", "cafe\xcc\x81"));
  EXPECT_FALSE(canonically_equivalent_spellings("caf\xc3\xa9", "caf\xc3\xa9"));
  EXPECT_FALSE(canonically_equivalent_spellings("cafe", "caf\xc3\xa9"));
  EXPECT_STREQ(nfd_unicode_version(), "14.0.0");
}

// Every code point whose NFD differs from itself (13k, Hangul included), and every pair of two
// combining marks in the wrong order after a letter, against Python's unicodedata (the tables'
// source, scripts/gen-unicode-nfd.py): "HEX-INPUT HEX-NFD" per line.
TEST(UnicodeNfd, AgreesWithPythonOnEveryDecomposableCodePoint) {
  const char* script =
      "import unicodedata as u\n"
      "cs=[chr(c) for c in range(0x110000) if not 0xD800<=c<0xE000]\n"
      "ins=[c for c in cs if u.normalize('NFD',c)!=c]\n"
      "marks=[c for c in cs if u.combining(c)][::7]\n"
      "ins+=['a'+m+n for m in marks[:40] for n in marks[:40]]\n"
      "for s in ins: print(s.encode().hex(), u.normalize('NFD',s).encode().hex())\n";
  FILE* py = popen(("/usr/bin/python3 -c \"" + std::string(script) + "\"").c_str(), "r");
  ASSERT_NE(py, nullptr);
  std::string text;
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, py)) > 0;) text.append(buf, n);
  ASSERT_EQ(pclose(py), 0) << "/usr/bin/python3 failed";
  auto unhex = [](const std::string& h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
    return out;
  };
  std::istringstream lines(text);
  size_t checked = 0, wrong = 0;
  for (std::string in, want; lines >> in >> want; ++checked)
    if (nfd(unhex(in)) != unhex(want) && ++wrong <= 5) ADD_FAILURE() << "NFD of " << in << ": want " << want;
  EXPECT_GT(checked, 13000u);
  EXPECT_EQ(wrong, 0u);
}

}  // namespace
}  // namespace ms
