// load_dataset: the catalog entry's reader, then subsets, normalisation, device placement.
#include "worker/data/dataset.h"

#include <stdexcept>

#include "worker/data/loaders.h"
#include "worker/data/split_cache.h"

namespace ms {

namespace {

// A copy of the first n rows (all of them for n <= 0): the splits may be shared with the cache.
torch::Tensor first_n(const torch::Tensor& t, int64_t n) {
  return (n > 0 && n < t.size(0) ? t.narrow(0, 0, n) : t).clone();
}

}  // namespace

void Dataset::to(const torch::Device& device) {
  train_x = train_x.to(device);
  train_y = train_y.to(device);
  test_x = test_x.to(device);
  test_y = test_y.to(device);
  if (pad_value.defined()) pad_value = pad_value.to(device);
}

torch::Tensor normalise_images(torch::Tensor& train, torch::Tensor& test) {
  auto mean = train.mean({0, 2, 3}, /*keepdim=*/true);
  auto std = train.std({0, 2, 3}, /*unbiased=*/false, /*keepdim=*/true).clamp_min(1e-6);
  train = ((train - mean) / std).contiguous();
  test = ((test - mean) / std).contiguous();
  return ((torch::zeros_like(mean) - mean) / std).reshape({-1, 1, 1});
}

Dataset load_dataset(const TaskConfig& task, int64_t seed) {
  Dataset d;
  d.name = task.dataset;
  const DatasetInfo& info = dataset_info(task.dataset);
  const LoaderEntry& reader = find_loader(info.loader);
  if (!reader.load) throw std::logic_error(info.name + " is streamed from disk: open it with make_batch_source");
  const auto [train, test] = read_splits(info, reader, task, seed);
  d.sequence = info.kind == DataKind::Sequences;
  d.augment = info.augment;
  d.train_x = first_n(train.x, task.train_subset);
  d.train_y = first_n(train.y, task.train_subset);
  d.test_x = first_n(test.x, task.test_subset);
  d.test_y = first_n(test.y, task.test_subset);
  if (!d.sequence) {
    d.train_x = d.train_x.to(torch::kFloat);
    d.test_x = d.test_x.to(torch::kFloat);
    d.pad_value = normalise_images(d.train_x, d.test_x);
  }
  if (d.train_size() == 0 || d.test_size() == 0)
    throw std::runtime_error("dataset '" + d.name + "' has an empty train or test split");
  return d;
}

}  // namespace ms
