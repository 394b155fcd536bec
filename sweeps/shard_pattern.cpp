// WebDataset shard patterns (see shard_pattern.h).
#include "sweeps/shard_pattern.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <stdexcept>

#include "sweeps/user_text.h"

namespace ms {

namespace {
constexpr size_t kMaxExpansion = 1000000;
}  // namespace

std::vector<std::string> expand_braces(const std::string& pattern) {
  const size_t open = pattern.find('{');
  const size_t close = pattern.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos) {
    if (close != std::string::npos)
      throw std::invalid_argument("shard pattern \"" + printable(pattern) + "\" has a '}' without '{'");
    return {pattern};
  }
  if (close == std::string::npos)
    throw std::invalid_argument("shard pattern \"" + printable(pattern) + "\" has an unclosed '{'");
  const std::string body = pattern.substr(open + 1, close - open - 1);
  if (body.find('{') != std::string::npos)
    throw std::invalid_argument("shard pattern \"" + printable(pattern) + "\" nests braces");
  std::vector<std::string> items;
  const size_t dots = body.find("..");
  const auto is_number = [](const std::string& s) {
    return !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (dots != std::string::npos && is_number(body.substr(0, dots)) && is_number(body.substr(dots + 2))) {
    const std::string a = body.substr(0, dots), b = body.substr(dots + 2);
    const uint64_t from = std::stoull(a), to = std::stoull(b);
    const bool padded = (a.size() > 1 && a[0] == '0') || (b.size() > 1 && b[0] == '0');
    const size_t width = padded ? std::max(a.size(), b.size()) : 0;
    if ((from > to ? from - to : to - from) >= kMaxExpansion)
      throw std::invalid_argument("shard pattern \"" + printable(pattern) + "\" expands to too many names");
    for (uint64_t i = from;; i = from <= to ? i + 1 : i - 1) {
      std::string digits = std::to_string(i);
      if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
      items.push_back(digits);
      if (i == to) break;
    }
  } else if (dots == 1 && body.size() == 4 && std::isalpha(static_cast<unsigned char>(body[0])) &&
             std::isalpha(static_cast<unsigned char>(body[3])) &&
             (std::islower(static_cast<unsigned char>(body[0])) != 0) ==
                 (std::islower(static_cast<unsigned char>(body[3])) != 0)) {
    // braceexpand's letter range, {a..e} or {E..A}: one letter each, of one case
    for (char c = body[0];; c = body[0] <= body[3] ? static_cast<char>(c + 1) : static_cast<char>(c - 1)) {
      items.emplace_back(1, c);
      if (c == body[3]) break;
    }
  } else if (body.find(',') != std::string::npos) {
    for (size_t begin = 0;;) {
      const size_t comma = body.find(',', begin);
      items.push_back(body.substr(begin, comma - begin));
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
  } else {
    items.push_back("{" + body + "}");  // braceexpand keeps a group without ',' or '..' as it is
  }
  const std::vector<std::string> rests = expand_braces(pattern.substr(close + 1));
  if (items.size() * rests.size() > kMaxExpansion)
    throw std::invalid_argument("shard pattern \"" + printable(pattern) + "\" expands to too many names");
  std::vector<std::string> out;
  for (const std::string& item : items)
    for (const std::string& rest : rests) out.push_back(pattern.substr(0, open) + item + rest);
  return out;
}

}  // namespace ms
