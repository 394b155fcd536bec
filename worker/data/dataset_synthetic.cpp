// Generators for synthetic images, the Key-Value Transformer tasks and charlm windows.
#include "worker/data/dataset_synthetic.h"

#include <stdexcept>

#include "worker/data/dataset_gzip.h"

namespace ms {

namespace {
at::Generator seeded(uint64_t seed) { return at::detail::createCPUGenerator(seed); }
}  // namespace

SyntheticImages make_synthetic_images(int64_t size, int64_t channels, int64_t classes, int64_t train_n, int64_t test_n,
                                      int64_t seed) {
  auto gen = seeded(uint64_t(seed) * 0x9E3779B97F4A7C15ULL + 17);
  // Class patterns: 4×4 random fields upsampled to full size (smooth, conv-friendly).
  auto coarse = torch::randn({classes, channels, 4, 4}, gen, torch::kFloat);
  auto patterns = torch::upsample_bilinear2d(coarse, {size, size}, /*align_corners=*/false);
  auto make = [&](int64_t n) {
    auto labels = torch::arange(n, torch::kInt64).remainder(classes);
    labels = labels.index_select(0, torch::randperm(n, gen, torch::kInt64));
    auto noise = torch::randn({n, channels, size, size}, gen, torch::kFloat);
    auto x = patterns.index_select(0, labels) + noise;
    return ImageSplit{x, labels};
  };
  SyntheticImages out;
  out.train = make(train_n);
  out.test = make(test_n);
  return out;
}

torch::Tensor sequence_task_targets(const std::string& task, const torch::Tensor& x, int64_t vocab) {
  const int64_t len = x.size(1);
  if (task == "copy") return x.clone();
  if (task == "reverse") return x.flip({1});
  if (task == "sort") return std::get<0>(x.sort(1));
  if (task == "sub") return (vocab - 1) - x;
  if (task == "swap") {
    if (len % 2 != 0) throw std::runtime_error("swap needs an even sequence length, got " + std::to_string(len));
    return torch::cat({x.narrow(1, len / 2, len / 2), x.narrow(1, 0, len / 2)}, 1);
  }
  throw std::runtime_error("unknown sequence task '" + task + "': expected one of reverse, sort, swap, sub, copy");
}

ImageSplit make_sequence_task(const std::string& task, int64_t n, int64_t len, int64_t vocab, uint64_t seed) {
  auto gen = seeded(seed);
  auto x = torch::randint(0, vocab, {n, len}, gen, torch::kInt64);
  return {x, sequence_task_targets(task, x, vocab)};
}

CharLmSplits make_charlm(const std::string& text_file, int64_t len) {
  const std::string bytes = read_maybe_gzipped(text_file);
  const CharLmWindows split = charlm_windows(int64_t(bytes.size()), len);
  const int64_t windows = split.train + split.test;
  if (windows < 2)
    throw std::runtime_error(text_file + ": expected at least " + std::to_string(2 * len + 1) +
                             " bytes of text for two windows of task.seq_len " + std::to_string(len) + ", got " +
                             std::to_string(bytes.size()));
  auto all = torch::empty({int64_t(bytes.size())}, torch::kUInt8);
  std::memcpy(all.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  all = all.to(torch::kInt64);
  auto x = all.narrow(0, 0, windows * len).view({windows, len});
  auto y = all.narrow(0, 1, windows * len).view({windows, len});
  const int64_t test_n = split.test, train_n = split.train;
  CharLmSplits out;
  out.train = {x.narrow(0, 0, train_n).clone(), y.narrow(0, 0, train_n).clone()};
  out.test = {x.narrow(0, train_n, test_n).clone(), y.narrow(0, train_n, test_n).clone()};
  return out;
}

DatasetSplits load_synthetic_images(const DatasetInfo&, const TaskConfig& task, int64_t seed) {
  return make_synthetic_images(task.image_size, task.channels, task.num_classes, task.train_size, task.test_size, seed);
}

DatasetSplits load_sequence_task(const DatasetInfo& dataset, const TaskConfig& task, int64_t seed) {
  // Independent streams for train and test, both fixed by the job seed.
  return {make_sequence_task(dataset.name, task.train_size, task.seq_len, task.vocab, uint64_t(seed) * 2 + 1),
          make_sequence_task(dataset.name, task.test_size, task.seq_len, task.vocab, uint64_t(seed) * 2 + 2)};
}

DatasetSplits load_charlm(const DatasetInfo&, const TaskConfig& task, int64_t) {
  return make_charlm(task.text_file, task.seq_len);
}

}  // namespace ms
