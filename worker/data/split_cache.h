// The raw splits of datasets read from files (the IDX and CIFAR-10 readers), kept for the next
// job of this process: a sweep of many small jobs would otherwise read and inflate Fashion-MNIST
// once per job (0.7 s, more than a tiny job trains). Keyed by reader and data_dir (the only task
// field those readers use); holds the two most recently used datasets. The tensors are shared:
// callers must not change them in place (load_dataset copies what it keeps).
#pragma once
#include <cstdint>

#include "worker/data/loaders.h"

namespace ms {

// The reader's splits for `task`: from the cache for a reader marked `cacheable`, else read.
DatasetSplits read_splits(const DatasetInfo& info, const LoaderEntry& reader, const TaskConfig& task, int64_t seed);

// How many times this process ran a cacheable reader (tests: the second job reads nothing).
int64_t split_cache_misses();

}  // namespace ms
