// The user-text rule and its UTF-8 primitives (see user_text.h).
#include "sweeps/user_text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <locale.h>
#include <utility>
#include <vector>
#include <wchar.h>

namespace ms {

uint32_t utf8_code_point(const std::string& s, size_t i, size_t n) {
  static const unsigned char kLead[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  uint32_t cp = static_cast<unsigned char>(s[i]) & kLead[n];
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

size_t utf8_sequence_length(const std::string& s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t extra = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0)
    extra = 1, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0)
    extra = 2, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0)
    extra = 3, cp = c & 0x07;
  else
    return 0;
  if (i + extra >= s.size()) return 0;  // truncated
  for (size_t k = 1; k <= extra; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return extra + 1;
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::optional<TextPosition> first_invalid_utf8(const std::string& text) {
  TextPosition at;
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_sequence_length(text, i);
    if (n == 0) return at;
    if (text[i] == '\n') {
      ++at.line;
      at.col = 1;
    } else {
      at.col += static_cast<int>(n);
    }
    i += n;
  }
  return std::nullopt;
}

namespace {

// The code point of the control character at s[i] (sequence length n), or -1 when it is none:
// C0, DEL and C1 (U+0080-U+009F, two bytes C2 80..C2 9F).
int32_t control_at(const std::string& s, size_t i, size_t n) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (n == 1) return c < 0x20 || c == 0x7F ? c : -1;
  if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) return static_cast<unsigned char>(s[i + 1]);
  return -1;
}

std::string code_point_text(int32_t cp) {
  char code[16];
  std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(cp));
  return code;
}

// Bidirectional embeddings, overrides and isolates: they make text display in another order than
// it is stored ("Trojan Source"). The marks U+200E/U+200F (and U+061C) stay allowed.
bool bidi_control(int32_t cp) { return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069); }
// U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR: line breaks to many editors and languages.
bool line_separator(int32_t cp) { return cp == 0x2028 || cp == 0x2029; }

// The code point text of `kind` refuses at s[i] (sequence length n >= 1), or -1.
int32_t refused_at(const std::string& s, size_t i, size_t n, TextKind kind) {
  const int32_t control = control_at(s, i, n);
  if (control >= 0) {
    const bool allowed = (kind != TextKind::Line && (control == '\n' || control == '\t')) ||
                         (kind == TextKind::Source && control == '\r');
    return allowed ? -1 : control;
  }
  if (n != 3) return -1;
  const int32_t cp = static_cast<int32_t>(utf8_code_point(s, i, n));
  return bidi_control(cp) || (kind == TextKind::Line && line_separator(cp)) ? cp : -1;
}

// What the refused code point is, e.g. "a control character (U+0007)".
std::string refused_what(int32_t cp) {
  return std::string(bidi_control(cp)     ? "a bidirectional formatting character ("
                     : line_separator(cp) ? "a line separator ("
                                          : "a control character (") +
         code_point_text(cp) + ")";
}

}  // namespace

std::optional<size_t> first_bad_text_byte(const std::string& text, TextKind kind) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_sequence_length(text, i);
    if (n == 0) return i;
    if (refused_at(text, i, n, kind) >= 0) return i;
    i += n;
  }
  return std::nullopt;
}

std::optional<std::string> text_problem(const std::string& text, const std::string& what, TextKind kind) {
  const auto bad = first_bad_text_byte(text, kind);
  if (!bad) return std::nullopt;
  const std::string shown = what + " '" + printable(text) + "'";
  const size_t n = utf8_sequence_length(text, *bad);
  if (n == 0) return shown + " is not valid UTF-8 (byte " + std::to_string(*bad + 1) + ")";
  const int32_t cp = refused_at(text, *bad, n, kind);
  if (bidi_control(cp))
    return shown + " contains a bidirectional formatting character (" + code_point_text(cp) +
           "; U+202A-U+202E and U+2066-U+2069 are not allowed: they make text display in another order than it "
           "is stored)";
  if (line_separator(cp))
    return shown + " contains a line separator (" + code_point_text(cp) +
           "; U+2028 and U+2029 are line breaks to many editors, and this must be one line)";
  return shown + " contains a control character (" + code_point_text(cp) +
         "; U+0000-U+001F, U+007F-U+009F are not allowed" +
         (kind == TextKind::FreeText ? std::string(" except line breaks and tabs") : std::string()) + ")";
}

std::optional<TextFlaw> first_text_flaw(const std::string& text, TextKind kind) {
  const auto bad = first_bad_text_byte(text, kind);
  if (!bad) return std::nullopt;
  TextFlaw flaw;
  for (size_t i = 0; i < *bad; ++i) {
    if (text[i] == '\n') {
      ++flaw.at.line;
      flaw.at.col = 1;
    } else {
      ++flaw.at.col;  // bytes, like first_invalid_utf8()
    }
  }
  const size_t n = utf8_sequence_length(text, *bad);
  flaw.reason = n == 0 ? "is not valid UTF-8 (ill-formed byte here)"
                       : "contains " + refused_what(refused_at(text, *bad, n, kind)) + " here";
  return flaw;
}

std::string printable(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    // C0 and C1 controls and bytes that are not UTF-8 are shown as \xNN, so the message stays one
    // clean line of UTF-8 whatever a file or class name holds.
    if (n == 3 && (bidi_control(static_cast<int32_t>(utf8_code_point(s, i, n))) ||
                   line_separator(static_cast<int32_t>(utf8_code_point(s, i, n))))) {
      char buffer[16];  // shown, not obeyed: the message keeps its order and stays one line
      std::snprintf(buffer, sizeof buffer, "\\u%04X",
                    static_cast<unsigned>(static_cast<int32_t>(utf8_code_point(s, i, n))));
      out += buffer;
      i += n;
    } else if (n == 0 || control_at(s, i, n) >= 0) {
      for (size_t k = 0; k < std::max<size_t>(n, 1); ++k) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\x%02X", static_cast<unsigned char>(s[i + k]));
        out += buffer;
      }
      i += std::max<size_t>(n, 1);
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

std::string shell_word(const std::string& s) {
  const auto plain = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string("_./:,+-=@%").find(static_cast<char>(c)) != std::string::npos;
  };
  if (!s.empty() && std::all_of(s.begin(), s.end(), plain)) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

// One character's columns: glibc's tables under a C.UTF-8 locale, set for this thread only while
// asking (the process's locale stays "C"). Without that locale, every character takes 1.
size_t columns_of_code_point(uint32_t cp) {
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  if (!utf8) return 1;
  const locale_t previous = uselocale(utf8);
  const int w = wcwidth(static_cast<wchar_t>(cp));
  uselocale(previous);
  return w < 0 ? 1 : static_cast<size_t>(w);
}

// Calls f(byte offset, byte length, columns) for each character of s.
template <typename F>
void for_each_character(const std::string& s, F f) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      f(i, size_t{1}, size_t{1});
      ++i;
      continue;
    }
    const uint32_t cp = utf8_code_point(s, i, n);
    f(i, n, cp < 0x80 ? size_t{1} : columns_of_code_point(cp));
    i += n;
  }
}

}  // namespace

size_t terminal_columns(const std::string& s) {
  size_t total = 0;
  for_each_character(s, [&](size_t, size_t, size_t w) { total += w; });
  return total;
}

std::string cut_to_columns(const std::string& s, size_t columns) {
  if (terminal_columns(s) <= columns) return s;
  if (columns == 0) return "";
  size_t used = 0, end = 0;
  bool full = false;
  for_each_character(s, [&](size_t at, size_t n, size_t w) {
    if (full || used + w > columns - 1) {  // one column is kept for the "…"
      full = true;
      return;
    }
    used += w;
    end = at + n;
  });
  return s.substr(0, end) + "…";
}

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string cut_middle_to_columns(const std::string& s, size_t columns) {
  if (terminal_columns(s) <= columns) return s;
  if (columns < 3) return cut_to_columns(s, columns);
  std::vector<std::pair<size_t, size_t>> chars;  // (byte offset, columns)
  for_each_character(s, [&](size_t at, size_t, size_t w) { chars.emplace_back(at, w); });
  const size_t tail_columns = (columns - 1) / 2;
  size_t used = 0, begin = s.size();
  for (size_t i = chars.size(); i-- > 0 && used + chars[i].second <= tail_columns;) {
    used += chars[i].second;
    begin = chars[i].first;
  }
  const std::string head = cut_to_columns(s, columns - used);  // ends with the "…"
  return head + s.substr(begin);
}

}  // namespace ms
