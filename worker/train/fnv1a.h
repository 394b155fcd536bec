// FNV-1a, 64-bit: the cheap non-cryptographic hash behind checkpoint checksums and the
// cross-rank fingerprints. Incremental: start from kFnv1aOffset and feed bytes in order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ms {

constexpr uint64_t kFnv1aOffset = 0xcbf29ce484222325ULL;

inline void fnv1a_update(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
}

inline void fnv1a_update(uint64_t& h, const std::string& s) { fnv1a_update(h, s.data(), s.size()); }

inline uint64_t fnv1a64(const std::string& data) {
  uint64_t h = kFnv1aOffset;
  fnv1a_update(h, data);
  return h;
}

}  // namespace ms
