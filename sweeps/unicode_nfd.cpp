// Canonical decomposition (NFD) from generated tables (see unicode_nfd.h).
#include "sweeps/unicode_nfd.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <vector>

#include "sweeps/user_text.h"

namespace ms {

namespace {

struct DecompositionEntry {
  uint32_t cp, offset, length;
};
struct CombiningRange {
  uint32_t first, last, ccc;
};

#include "sweeps/unicode_nfd_table.inc"

// Hangul syllables decompose by formula (Unicode §3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kVCount = 21, kTCount = 28, kSCount = 19 * kVCount * kTCount;

uint32_t combining_class(uint32_t cp) {
  const auto it = std::upper_bound(std::begin(kCombiningClasses), std::end(kCombiningClasses), cp,
                                   [](uint32_t v, const CombiningRange& r) { return v < r.first; });
  if (it == std::begin(kCombiningClasses)) return 0;
  const CombiningRange& r = *std::prev(it);
  return cp <= r.last ? r.ccc : 0;
}

void decompose(uint32_t cp, std::vector<uint32_t>& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const uint32_t s = cp - kSBase;
    out.push_back(kLBase + s / (kVCount * kTCount));
    out.push_back(kVBase + (s % (kVCount * kTCount)) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), cp,
                                   [](const DecompositionEntry& e, uint32_t v) { return e.cp < v; });
  if (it == std::end(kDecompositions) || it->cp != cp) {
    out.push_back(cp);
    return;
  }
  out.insert(out.end(), kDecompositionData + it->offset, kDecompositionData + it->offset + it->length);
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string nfd(const std::string& s) {
  // Code points, decomposed; a byte that is not UTF-8 is kept as a negative marker (-1 - byte).
  std::vector<int64_t> cps;
  std::vector<uint32_t> parts;
  for (size_t i = 0; i < s.size();) {
    const size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      cps.push_back(-1 - static_cast<int64_t>(static_cast<unsigned char>(s[i])));
      ++i;
      continue;
    }
    const uint32_t cp = utf8_code_point(s, i, n);
    parts.clear();
    decompose(cp, parts);
    cps.insert(cps.end(), parts.begin(), parts.end());
    i += n;
  }
  // Canonical ordering: each run of combining marks (class > 0) sorted by class, stably.
  auto ccc = [](int64_t v) { return v < 0 ? 0u : combining_class(static_cast<uint32_t>(v)); };
  for (size_t i = 0; i < cps.size();) {
    if (ccc(cps[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < cps.size() && ccc(cps[j]) != 0) ++j;
    std::stable_sort(cps.begin() + static_cast<std::ptrdiff_t>(i), cps.begin() + static_cast<std::ptrdiff_t>(j),
                     [&](int64_t a, int64_t b) { return ccc(a) < ccc(b); });
    i = j;
  }
  std::string out;
  for (int64_t v : cps) {
    if (v < 0)
      out += static_cast<char>(-1 - v);
    else
      append_utf8(static_cast<uint32_t>(v), out);
  }
  return out;
}

bool canonically_equivalent_spellings(const std::string& a, const std::string& b) { return a != b && nfd(a) == nfd(b); }

const char* nfd_unicode_version() { return kUnicodeVersion; }

}  // namespace ms
