// The per-epoch order and rank shares: deterministic, permutations, batches tiled by the ranks,
// shard-local blocks, and the spec in sample_order.h reproduced by an independent Python copy.
#include "images/sources/sample_order.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace ms {
namespace {

// A set of `counts.size()` files holding counts[f] records each, interleaved so that records
// of one file are not contiguous in index order (the order must not rely on that).
ImageSet make_set(const std::vector<size_t>& counts) {
  ImageSet set;
  for (size_t f = 0; f < counts.size(); ++f) set.files.push_back("shard-" + std::to_string(f) + ".tar");
  std::vector<size_t> left = counts;
  for (bool any = true; any;) {
    any = false;
    for (size_t f = 0; f < counts.size(); ++f) {
      if (left[f] == 0) continue;
      --left[f];
      any = true;
      ImageRecord r;
      r.file = static_cast<uint32_t>(f);
      r.offset = set.records.size() * 1000;
      set.records.push_back(r);
    }
  }
  return set;
}

ImageSet folder_set(size_t n) { return make_set(std::vector<size_t>(n, 1)); }

bool is_permutation_of_all(std::vector<size_t> order, size_t n) {
  std::sort(order.begin(), order.end());
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  return order == all;
}

TEST(SampleOrder, SameSeedAndEpochGiveTheSameOrder) {
  const ImageSet set = folder_set(1000);
  for (Shuffle s : {Shuffle::kGlobal, Shuffle::kShardLocal}) {
    EXPECT_EQ(epoch_order(set, s, 7, 3), epoch_order(set, s, 7, 3));
    EXPECT_NE(epoch_order(set, s, 7, 3), epoch_order(set, s, 7, 4));
    EXPECT_NE(epoch_order(set, s, 7, 3), epoch_order(set, s, 8, 3));
  }
}

TEST(SampleOrder, EveryOrderIsAPermutation) {
  for (size_t n : {0, 1, 2, 3, 17, 1000}) {
    EXPECT_TRUE(is_permutation_of_all(epoch_order(folder_set(n), Shuffle::kGlobal, 1, 0), n)) << n;
  }
  const ImageSet shards = make_set({5, 0, 13, 1, 40, 7});
  for (int64_t epoch = 0; epoch < 5; ++epoch)
    EXPECT_TRUE(is_permutation_of_all(epoch_order(shards, Shuffle::kShardLocal, -3, epoch), shards.size()));
}

TEST(SampleOrder, PinnedValuesNeverChange) {
  // Changing these breaks resuming jobs started with an older build: the order is part of the format.
  EXPECT_EQ(mix64(0), 0u);
  EXPECT_EQ(SplitMix64(0).next(), 0xE220A8397B1DCDAFULL);  // SplitMix64's reference first output
  const std::vector<size_t> expected = permutation(10, order_stream(1, 0, 1));
  EXPECT_EQ(epoch_order(folder_set(10), Shuffle::kGlobal, 1, 0), expected);
  EXPECT_EQ(expected, (std::vector<size_t>{3, 2, 8, 6, 1, 0, 4, 9, 7, 5}));
}

// The rules of sample_order.h in Python, for the orders of one global and one shard-local set.
TEST(SampleOrder, AnIndependentImplementationOfTheSpecAgrees) {
  const std::string script = R"PY(
import sys
M = (1 << 64) - 1
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
class Rng:
    def __init__(self, s): self.s = s
    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M
        return mix(self.s)
    def below(self, n):
        t = (1 << 64) % n
        while True:
            r = self.next()
            if r >= t: return r % n
def perm(n, s):
    a, g = list(range(n)), Rng(s)
    for i in range(n - 1, 0, -1):
        j = g.below(i + 1)
        a[i], a[j] = a[j], a[i]
    return a
def stream(seed, epoch, tag, shard=0):
    return mix(mix(mix((seed & M) ^ tag) ^ mix((epoch + 1) & M)) ^ mix(shard + 1))
epoch, files = int(sys.argv[2]), [int(c) for c in sys.argv[3].split(",")]
for seed in map(int, sys.argv[1].split(",")):
    print(*perm(257, stream(seed, epoch, 1)))
    print(*[(f, k) for f in perm(len(files), stream(seed, epoch, 2))
            for k in perm(files[f], stream(seed, epoch, 3, f))])
print(*sorted(perm(257, stream(0, 0, 4))[:100]))
)PY";
  const std::vector<size_t> counts{5, 0, 13, 1, 40, 7};
  const ImageSet shards = make_set(counts);
  std::vector<std::vector<size_t>> by_file(counts.size());
  for (size_t i = 0; i < shards.size(); ++i) by_file[shards.records[i].file].push_back(i);
  std::ostringstream expected;
  for (int64_t seed : {0LL, 12345LL, -1LL}) {
    std::ostringstream global, local;
    for (size_t i : epoch_order(folder_set(257), Shuffle::kGlobal, seed, 4)) global << (global.tellp() ? " " : "") << i;
    // Python prints (file, k): the k-th record of that file in index order.
    for (size_t i : epoch_order(shards, Shuffle::kShardLocal, seed, 4)) {
      const uint32_t f = shards.records[i].file;
      const size_t k = std::find(by_file[f].begin(), by_file[f].end(), i) - by_file[f].begin();
      local << (local.tellp() ? " " : "") << "(" << f << ", " << k << ")";
    }
    expected << global.str() << "\n" << local.str() << "\n";
  }
  ImageSet subset = folder_set(257);  // record i has offset 1000 i
  keep_subset(subset, 100);
  for (size_t i = 0; i < subset.size(); ++i) expected << (i ? " " : "") << subset.records[i].offset / 1000;
  expected << "\n";
  const auto r = test::run_command("python3 -c " + test::shell_quote(script) + " 0,12345,-1 4 5,0,13,1,40,7");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected.str());
}

// task.train_subset of a folder, whose index lists the classes one after another: N images drawn
// uniformly across the classes (not the first N, one class), in index order, the same every time.
TEST(SampleOrder, ASubsetDrawsFromEveryClassInIndexOrder) {
  ImageSet set = folder_set(300);
  for (size_t i = 0; i < set.size(); ++i) set.records[i].label = static_cast<int32_t>(i / 100);
  ImageSet a = set, b = set;
  keep_subset(a, 60);
  keep_subset(b, 60);
  ASSERT_EQ(a.size(), 60u);
  std::vector<int> per_class(3);
  for (size_t i = 0; i < a.size(); ++i) {
    ++per_class[static_cast<size_t>(a.records[i].label)];
    EXPECT_EQ(a.records[i].offset, b.records[i].offset);  // the same images every time
    if (i > 0) {
      EXPECT_GT(a.records[i].offset, a.records[i - 1].offset);  // in index order, distinct
    }
  }
  // Hypergeometric: 20 expected per class, standard deviation 2.8; a first-60 subset is 60, 0, 0.
  for (int n : per_class) {
    EXPECT_GE(n, 10);
    EXPECT_LE(n, 30);
  }
  for (int64_t all : {0, 300, 301, -1}) {
    ImageSet c = set;
    keep_subset(c, all);
    EXPECT_EQ(c.size(), 300u) << all;
  }
}

TEST(SampleOrder, RankSharesTileEveryGlobalBatch) {
  const ImageSet set = folder_set(103);
  for (int64_t batch : {1, 4, 10, 32}) {
    const EpochPlan plan(set, Shuffle::kGlobal, 5, 2, batch);
    EXPECT_EQ(plan.steps(), 103 / batch);
    for (int size = 1; size <= 5; ++size) {
      for (int64_t step = 0; step < plan.steps(); ++step) {
        std::vector<size_t> joined;
        size_t smallest = SIZE_MAX, largest = 0;
        for (int rank = 0; rank < size; ++rank) {
          const std::vector<size_t> part = plan.batch(step, rank, size);
          smallest = std::min(smallest, part.size());
          largest = std::max(largest, part.size());
          joined.insert(joined.end(), part.begin(), part.end());
        }
        const auto first = plan.order().begin() + step * batch;
        EXPECT_EQ(joined, std::vector<size_t>(first, first + batch)) << "batch " << batch << " size " << size;
        EXPECT_LE(largest - smallest, 1u);
      }
    }
  }
}

TEST(SampleOrder, TheEpochsSamplesDoNotDependOnTheNumberOfRanks) {
  const ImageSet set = make_set({9, 30, 4, 21});
  const EpochPlan plan(set, Shuffle::kShardLocal, 11, 1, 8);
  std::multiset<size_t> with_one;
  for (int64_t step = 0; step < plan.steps(); ++step)
    for (size_t i : plan.batch(step, 0, 1)) with_one.insert(i);
  EXPECT_EQ(with_one.size(), 64u);  // 64 records: 8 full batches, nothing dropped
  for (int size = 2; size <= 5; ++size) {
    std::multiset<size_t> all;
    for (int64_t step = 0; step < plan.steps(); ++step)
      for (int rank = 0; rank < size; ++rank)
        for (size_t i : plan.batch(step, rank, size)) all.insert(i);
    EXPECT_EQ(all, with_one) << size << " ranks";
  }
}

TEST(SampleOrder, TheLastPartialBatchIsDroppedUnlessItIsTheOnlyOne) {
  const EpochPlan plan(folder_set(10), Shuffle::kGlobal, 1, 0, 4);
  EXPECT_EQ(plan.steps(), 2);
  EXPECT_EQ(plan.global_batch(), 4);
  const EpochPlan small(folder_set(3), Shuffle::kGlobal, 1, 0, 8);
  EXPECT_EQ(small.steps(), 1);
  EXPECT_EQ(small.global_batch(), 3);
  EXPECT_EQ(small.batch(0, 0, 1).size(), 3u);
  EXPECT_TRUE(small.batch(0, 0, 5).empty());  // more ranks than records: some ranks get none
  EXPECT_EQ(small.batch(0, 4, 5).size(), 1u);
}

TEST(SampleOrder, RankSliceIsTheInMemoryLoadersRule) {
  EXPECT_EQ(rank_slice(10, 2, 3), (std::pair<int64_t, int64_t>{6, 10}));
  EXPECT_EQ(rank_slice(10, 0, 3), (std::pair<int64_t, int64_t>{0, 3}));
  EXPECT_EQ(rank_slice(2, 1, 4), (std::pair<int64_t, int64_t>{0, 1}));
  EXPECT_THROW(rank_slice(10, 3, 3), std::invalid_argument);
  EXPECT_THROW(rank_slice(10, 0, 0), std::invalid_argument);
}

TEST(SampleOrder, ShardLocalOrderKeepsEachShardContiguous) {
  const ImageSet set = make_set({12, 3, 0, 25, 8, 1, 16});
  std::set<std::vector<uint32_t>> shard_orders;
  for (int64_t epoch = 0; epoch < 6; ++epoch) {
    const std::vector<size_t> order = epoch_order(set, Shuffle::kShardLocal, 99, epoch);
    std::vector<uint32_t> visited;  // files in the order their blocks start
    for (size_t i : order) {
      const uint32_t file = set.records[i].file;
      if (visited.empty() || visited.back() != file) {
        EXPECT_EQ(std::count(visited.begin(), visited.end(), file), 0) << "file " << file << " comes back";
        visited.push_back(file);
      }
    }
    EXPECT_EQ(visited.size(), 6u);  // every file with records, once
    shard_orders.insert(visited);
  }
  EXPECT_GT(shard_orders.size(), 1u);  // the shard order changes between epochs
  // ...and the order inside a shard too.
  const auto block = [&](int64_t epoch) {
    std::vector<size_t> in_shard;
    for (size_t i : epoch_order(set, Shuffle::kShardLocal, 99, epoch))
      if (set.records[i].file == 3) in_shard.push_back(i);
    return in_shard;
  };
  EXPECT_NE(block(0), block(1));
}

TEST(SampleOrder, RejectsBadArguments) {
  EXPECT_THROW(EpochPlan(folder_set(5), Shuffle::kGlobal, 1, 0, 0), std::invalid_argument);
  EXPECT_THROW(EpochPlan(folder_set(0), Shuffle::kGlobal, 1, 0, 4), std::runtime_error);
  EXPECT_THROW(epoch_order(folder_set(5), Shuffle::kGlobal, 1, -1), std::invalid_argument);
  const EpochPlan plan(folder_set(5), Shuffle::kGlobal, 1, 0, 2);
  EXPECT_THROW(plan.batch(2, 0, 1), std::out_of_range);
  EXPECT_THROW(plan.batch(0, 1, 1), std::invalid_argument);
}

}  // namespace
}  // namespace ms
