// The order in which an epoch visits an ImageSet's records, and each rank's share of every global
// batch. The order is a pure function of (seed, epoch) and the set: the same on every rank, in
// every run, for any number of ranks, so a job resumed at an epoch boundary replays it exactly.
// Everything is specified here (SplitMix64, Fisher-Yates with rejection sampling), nothing left
// to a standard library, so another implementation can reproduce an order bit for bit:
//
//   mix(z)       = SplitMix64's finalizer: z ^= z >> 30; z *= 0xBF58476D1CE4E5B9;
//                  z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31   (all mod 2^64)
//   next()       : state += 0x9E3779B97F4A7C15; return mix(state)
//   below(n)     : draw r = next() until r >= (2^64 - n) mod n; return r mod n   (unbiased)
//   permutation(n, s): a = [0, 1, ..., n-1]; generator state s;
//                  for i = n-1 down to 1: swap(a[i], a[below(i + 1)])
//   stream(seed, epoch, tag, shard) = mix(mix(mix(seed ^ tag) ^ mix(epoch + 1)) ^ mix(shard + 1))
//                  (seed and epoch as 64-bit two's complement; tag 1: global order,
//                   2: shard order, 3: order inside a shard, 4: subset; shard 0 for tags 1, 2, 4)
//
// Subset (task.train_subset / test_subset = N of a set of n > N records): the records at indices
// permutation(n, stream(0, 0, 4, 0))[0..N), kept in index order. It does not depend on the job's
// seed, so every job of a sweep trains and tests on the same images, and it draws uniformly from
// all of them, every class in about its share (not stratified; a folder's index lists the
// classes one after another: its first N would be one class).
//
// Global shuffle (image folders): the epoch's order is permutation(N, stream(seed, epoch, 1, 0)).
// Shard-local shuffle (tar shards, so a rank reads one shard file at a time): the files are
// taken in permutation(F, stream(seed, epoch, 2, 0)) order, and for file f its records (in index
// order) in permutation(count_f, stream(seed, epoch, 3, f)) order; concatenated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "images/sources/image_set.h"

namespace ms {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  uint64_t next();
  // Uniform in [0, n), n >= 1.
  uint64_t below(uint64_t n);

 private:
  uint64_t state_;
};

// Uniform doubles in [0, 1) (53 bits each) from one SplitMix64 stream: the draws of every
// per-image and per-step augmentation, so a seed fixes them on every platform.
struct Uniform01 {
  SplitMix64 rng;
  double operator()() { return static_cast<double>(rng.next() >> 11) * 0x1.0p-53; }
};

// SplitMix64's output function.
uint64_t mix64(uint64_t z);

// The generator seed of one stream of an epoch (see the top of this file).
uint64_t order_stream(int64_t seed, int64_t epoch, uint64_t tag, uint64_t shard = 0);

// A permutation of [0, n) drawn with Fisher-Yates from SplitMix64(stream).
std::vector<size_t> permutation(size_t n, uint64_t stream);

// Keeps the subset of `n` records of `set` (top of this file); all of them when n <= 0 or n >= its size.
void keep_subset(ImageSet& set, int64_t n);

enum class Shuffle {
  kGlobal,      // every record anywhere (image folders: one file per record)
  kShardLocal,  // shards in random order, each shard's records together in random order
};

// The order (record indices) in which epoch `epoch` visits `set`. Throws std::invalid_argument
// for a negative epoch.
std::vector<size_t> epoch_order(const ImageSet& set, Shuffle shuffle, int64_t seed, int64_t epoch);

// [begin, end) of rank `rank`'s share of `count` items split over `size` ranks: contiguous,
// sizes differing by at most one. The one rule for every dataset, in memory or streamed.
std::pair<int64_t, int64_t> rank_slice(int64_t count, int rank, int size);

// One epoch of a data-parallel job: the order, cut into global batches of `global_batch`
// records (the last partial batch dropped, unless the epoch would then have no step: with
// fewer records than a batch, the one step takes them all), each split between ranks.
class EpochPlan {
 public:
  // Throws std::invalid_argument for global_batch < 1, std::runtime_error for an empty set.
  EpochPlan(const ImageSet& set, Shuffle shuffle, int64_t seed, int64_t epoch, int64_t global_batch);

  int64_t steps() const { return steps_; }
  int64_t global_batch() const { return global_batch_; }
  const std::vector<size_t>& order() const { return order_; }

  // Record indices that rank `rank` of `size` reads for global step `step` (possibly none when
  // there are more ranks than records in a batch), in order. Throws std::out_of_range for a
  // step outside [0, steps()) and std::invalid_argument for a bad rank or size.
  std::vector<size_t> batch(int64_t step, int rank, int size) const;

 private:
  std::vector<size_t> order_;
  int64_t global_batch_ = 0, steps_ = 0;
};

}  // namespace ms
