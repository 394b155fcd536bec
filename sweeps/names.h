// The rules for user text that names things (DESIGN.md §4): sweep names, section names and
// variant labels are well-formed UTF-8 without control characters (U+0000-U+001F, U+007F), not
// empty and not "baseline" (reserved) after trimming. Also the UTF-8 check of a whole sweep file,
// with the line and column of the first bad byte.
#pragma once
#include <optional>
#include <string>

namespace ms {

// Well-formed UTF-8: no overlong forms, surrogates, truncated sequences or code points past U+10FFFF.
bool valid_utf8(const std::string& s);
// The length (1 to 4) of the well-formed UTF-8 sequence at s[i] (no overlong forms, surrogates or
// code points above U+10FFFF), or 0 when the bytes there are not UTF-8.
size_t utf8_sequence_length(const std::string& s, size_t i);

struct TextPosition {
  int line = 1, col = 1;  // 1-based; col counts bytes
};
// Where the first ill-formed UTF-8 byte of `text` is, if any.
std::optional<TextPosition> first_invalid_utf8(const std::string& text);

// Why `name` is not acceptable as a `what` ("sweep name", "section name", "label"), or nothing.
// Reserved "baseline" is refused when `allow_baseline` is false.
std::optional<std::string> name_problem(const std::string& name, const std::string& what, bool allow_baseline);

std::string trim_spaces(const std::string& s);  // ASCII whitespace at both ends

// The text shown for a name in a message: C0/C1 control characters and bytes that are not UTF-8
// as \xNN, quotes kept.
std::string printable(const std::string& s);

}  // namespace ms
