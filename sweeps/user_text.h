// User text at the door (DESIGN.md §4: user text is hostile): the one rule every string a user
// hands metasweep passes before it is stored or printed -- sweep-file scalars and keys, command
// line arguments, notes. Well-formed UTF-8 without control characters (C0 U+0000-U+001F, DEL
// U+007F, C1 U+0080-U+009F) or bidirectional embeddings, overrides and isolates (U+202A-U+202E,
// U+2066-U+2069: text that displays in another order than it is stored); one-line text also
// without U+2028/U+2029 (line and paragraph separators); free text (a note, a description) may
// also hold line breaks and tabs. Text is kept byte for byte, not Unicode-normalised; names are
// compared in canonical decomposition (names.h name_key, unicode_nfd.h), so "é" (U+00E9) and
// "e" + U+0301 are one label.
// Also the UTF-8 primitives the rule is built on and printable(), the form of such text in a
// message.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ms {

// Well-formed UTF-8: no overlong forms, surrogates, truncated sequences or code points past U+10FFFF.
bool valid_utf8(const std::string& s);
// The length (1 to 4) of the well-formed UTF-8 sequence at s[i] (no overlong forms, surrogates or
// code points above U+10FFFF), or 0 when the bytes there are not UTF-8.
size_t utf8_sequence_length(const std::string& s, size_t i);
// The code point of the well-formed n-byte sequence at s[i] (n from utf8_sequence_length).
uint32_t utf8_code_point(const std::string& s, size_t i, size_t n);

struct TextPosition {
  int line = 1, col = 1;  // 1-based; col counts bytes
};
// Where the first ill-formed UTF-8 byte of `text` is, if any.
std::optional<TextPosition> first_invalid_utf8(const std::string& text);

enum class TextKind {
  Line,      // a name, a label, a path, a value: one line, no tab
  FreeText,  // a note or a description: line breaks (\n) and tabs allowed
  Source,    // a whole file (a sweep file): line breaks (\n, \r) and tabs allowed
};

// Why `text` is not acceptable as user text of `kind`, or nothing. The reason names `what`
// ("label", "--sweep", "note") and shows the text through printable(), e.g.
// "label 'a\x01b' contains a control character (U+0001; ...)". Emptiness is the caller's rule.
std::optional<std::string> text_problem(const std::string& text, const std::string& what,
                                        TextKind kind = TextKind::Line);
// The byte offset of the first character text_problem() refuses, if any.
std::optional<size_t> first_bad_text_byte(const std::string& text, TextKind kind = TextKind::Line);
// Where that first refused character is, as a line and column (bytes), and why it is refused,
// to follow "the file": "is not valid UTF-8 (ill-formed byte here)", "contains a control
// character (U+0007) here".
struct TextFlaw {
  TextPosition at;
  std::string reason;
};
std::optional<TextFlaw> first_text_flaw(const std::string& text, TextKind kind);

// The text shown for user text in a message or on a terminal: C0/C1 control characters and bytes
// that are not UTF-8 as \xNN, bidirectional formatting characters and U+2028/U+2029 as \uNNNN,
// quotes kept.
std::string printable(const std::string& s);

// The columns `s` takes on a terminal: East Asian wide and fullwidth characters and emoji take 2,
// combining marks and zero-width characters 0, others 1 (glibc's wcwidth() under C.UTF-8, without
// touching the process's locale); a byte that is not UTF-8 takes 1 (printable() shows it).
size_t terminal_columns(const std::string& s);
// The longest prefix of whole characters of `s` that, with a trailing "…" when something is cut,
// fits in `columns` terminal columns.
std::string cut_to_columns(const std::string& s, size_t columns);
// The same, cut in the middle: the longest head and tail of whole characters of `s` around a
// "…" that fit in `columns` (the tail gets up to half), for labels that differ at their end.
std::string cut_middle_to_columns(const std::string& s, size_t columns);

// `s` with A-Z as a-z and every other byte as it is (file extensions, names typed in any case).
std::string ascii_lower(std::string s);

// `s` as one word a POSIX shell reads back byte for byte, for a command metasweep suggests
// ("next: metasweep results --db ..."): unchanged when it holds only letters, digits and
// _ . / : , + - = @ %; otherwise in single quotes, a ' inside as '\''.
std::string shell_word(const std::string& s);

}  // namespace ms
