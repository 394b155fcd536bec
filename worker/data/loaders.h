// The readers behind the dataset catalog (sweeps/datasets.h): one per data format, each serving
// every catalog entry whose `loader` names it (the IDX reader serves MNIST and Fashion-MNIST).
// A reader returns the raw splits; load_dataset (dataset.h) subsets, normalises and places them.
// Adding a format is one reader file with its load_* function and one line in loaders.cpp.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "sweeps/datasets.h"
#include "sweeps/run_config.h"
#include "worker/data/batch_source.h"

namespace ms {

struct ImageSplit {
  torch::Tensor x;  // images N×C×H×W (uint8 or float); sequences N×L int64
  torch::Tensor y;  // images N int64; sequences N×L int64
};

struct DatasetSplits {
  ImageSplit train, test;
};

// Reads (or generates, deterministically from `seed`) the splits of `dataset` for `task`.
using DatasetLoader = DatasetSplits (*)(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed);

// Opens a streamed dataset (DatasetInfo::streamed) for one rank: nothing is read whole.
using DatasetOpener = std::unique_ptr<BatchSource> (*)(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed,
                                                       const BatchSourceOptions& options);

struct LoaderEntry {
  std::string name;      // what DatasetInfo::loader says
  DatasetLoader load;    // in-memory datasets: the whole splits
  DatasetOpener open{};  // streamed datasets (load is null)
  // `load` reads files and uses no task field but data_dir, nor the seed: its splits may be kept
  // for the next job of the process (split_cache.h).
  bool cacheable = false;
};

const std::vector<LoaderEntry>& loader_registry();
// Throws std::invalid_argument naming the known readers when `name` has none.
const LoaderEntry& find_loader(const std::string& name);

// One per reader file.
DatasetSplits load_idx(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed);
DatasetSplits load_cifar10(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed);
DatasetSplits load_synthetic_images(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed);
DatasetSplits load_sequence_task(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed);
DatasetSplits load_charlm(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed);
std::unique_ptr<BatchSource> open_image_folder(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed,
                                               const BatchSourceOptions& options);
std::unique_ptr<BatchSource> open_tar_shards(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed,
                                             const BatchSourceOptions& options);

}  // namespace ms
