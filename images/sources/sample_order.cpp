// Per-epoch sample order and per-rank batch shares (see sample_order.h for the exact rules).
#include "images/sources/sample_order.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ms {

namespace {
constexpr uint64_t kGlobalTag = 1, kShardOrderTag = 2, kInShardTag = 3, kSubsetTag = 4;
}  // namespace

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::next() {
  state_ += 0x9E3779B97F4A7C15ULL;
  return mix64(state_);
}

uint64_t SplitMix64::below(uint64_t n) {
  if (n == 0) throw std::invalid_argument("SplitMix64::below(0)");
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n: draws below it would favour small results
  for (;;) {
    const uint64_t r = next();
    if (r >= threshold) return r % n;
  }
}

uint64_t order_stream(int64_t seed, int64_t epoch, uint64_t tag, uint64_t shard) {
  return mix64(mix64(mix64(static_cast<uint64_t>(seed) ^ tag) ^ mix64(static_cast<uint64_t>(epoch) + 1)) ^
               mix64(shard + 1));
}

std::vector<size_t> permutation(size_t n, uint64_t stream) {
  std::vector<size_t> a(n);
  for (size_t i = 0; i < n; ++i) a[i] = i;
  SplitMix64 rng(stream);
  for (size_t i = n; i-- > 1;) std::swap(a[i], a[rng.below(i + 1)]);
  return a;
}

void keep_subset(ImageSet& set, int64_t n) {
  if (n <= 0 || n >= static_cast<int64_t>(set.size())) return;
  std::vector<size_t> kept = permutation(set.size(), order_stream(0, 0, kSubsetTag));
  kept.resize(static_cast<size_t>(n));
  std::sort(kept.begin(), kept.end());
  std::vector<ImageRecord> records;
  records.reserve(kept.size());
  for (size_t i : kept) records.push_back(set.records[i]);
  set.records = std::move(records);
}

std::vector<size_t> epoch_order(const ImageSet& set, Shuffle shuffle, int64_t seed, int64_t epoch) {
  if (epoch < 0) throw std::invalid_argument("epoch " + std::to_string(epoch) + " is negative");
  if (shuffle == Shuffle::kGlobal) return permutation(set.size(), order_stream(seed, epoch, kGlobalTag));
  std::vector<std::vector<size_t>> by_file(set.files.size());
  for (size_t i = 0; i < set.records.size(); ++i) {
    const uint32_t file = set.records[i].file;
    if (file >= by_file.size()) throw std::out_of_range("image record names file " + std::to_string(file));
    by_file[file].push_back(i);
  }
  std::vector<size_t> order;
  order.reserve(set.size());
  for (size_t file : permutation(by_file.size(), order_stream(seed, epoch, kShardOrderTag))) {
    const std::vector<size_t>& records = by_file[file];
    for (size_t k : permutation(records.size(), order_stream(seed, epoch, kInShardTag, file)))
      order.push_back(records[k]);
  }
  return order;
}

std::pair<int64_t, int64_t> rank_slice(int64_t count, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size || count < 0)
    throw std::invalid_argument("rank " + std::to_string(rank) + " of " + std::to_string(size) + " is not a rank");
  return {count * rank / size, count * (rank + 1) / size};
}

EpochPlan::EpochPlan(const ImageSet& set, Shuffle shuffle, int64_t seed, int64_t epoch, int64_t global_batch) {
  if (global_batch < 1) throw std::invalid_argument("the global batch size must be at least 1");
  if (set.size() == 0) throw std::runtime_error("the image set has no images");
  order_ = epoch_order(set, shuffle, seed, epoch);
  global_batch_ = std::min<int64_t>(global_batch, static_cast<int64_t>(order_.size()));
  steps_ = static_cast<int64_t>(order_.size()) / global_batch_;
}

std::vector<size_t> EpochPlan::batch(int64_t step, int rank, int size) const {
  if (step < 0 || step >= steps_)
    throw std::out_of_range("step " + std::to_string(step) + " is outside the epoch's " + std::to_string(steps_));
  const auto [begin, end] = rank_slice(global_batch_, rank, size);
  const auto first = order_.begin() + step * global_batch_;
  return std::vector<size_t>(first + begin, first + end);
}

}  // namespace ms
