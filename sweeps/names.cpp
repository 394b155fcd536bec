// Name rules and UTF-8 checks (see names.h).
#include "sweeps/names.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

namespace ms {

// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is ill-formed.
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

std::string trim_spaces(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string printable(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    const auto c = static_cast<unsigned char>(s[i]);
    // C0 and C1 controls and bytes that are not UTF-8 are shown as \xNN, so the message stays one
    // clean line of UTF-8 whatever a file or class name holds.
    const bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
    if (n == 0 || c < 0x20 || c == 0x7F || c1) {
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

std::optional<std::string> name_problem(const std::string& name, const std::string& what, bool allow_baseline) {
  if (!valid_utf8(name)) return what + " '" + printable(name) + "' is not valid UTF-8";
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F)
      return what + " '" + printable(name) + "' contains a control character (U+0000-U+001F, U+007F are not allowed)";
  }
  const std::string trimmed = trim_spaces(name);
  if (trimmed.empty()) return what + " is empty";
  if (!allow_baseline && trimmed == "baseline")
    return what + " '" + name + "' is reserved: 'baseline' names the base configuration";
  return std::nullopt;
}

}  // namespace ms
