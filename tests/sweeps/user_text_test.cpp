// The user-text rule (sweeps/user_text.h) on its own: what one-line text and free text refuse and
// allow, how the reason shows the text, and where in a file the first refused byte is.
#include "sweeps/user_text.h"

#include <cstdio>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ms
