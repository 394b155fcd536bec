// CIFAR-10 binary reader and the batched crop+flip augmentation.
#include "worker/data/dataset_cifar.h"

#include <filesystem>
#include <stdexcept>

#include "worker/data/dataset_gzip.h"

namespace ms {

namespace {
constexpr int64_t kRecord = 1 + 3 * 32 * 32;

ImageSplit read_batches(const std::string& dir, const std::vector<std::string>& names) {
  std::vector<torch::Tensor> xs, ys;
  for (const auto& name : names) {
    const std::string path = dir + "/" + name;
    if (!std::filesystem::exists(path))
      throw std::runtime_error(path +
                               ": no such file; expected the CIFAR-10 binary batches (cifar-10-batches-bin) in " + dir);
    const std::string bytes = read_maybe_gzipped(path);
    if (bytes.empty() || bytes.size() % kRecord != 0)
      throw std::runtime_error(path + ": expected a CIFAR-10 binary batch (a multiple of " + std::to_string(kRecord) +
                               "-byte records), got " + std::to_string(bytes.size()) + " bytes");
    const int64_t n = int64_t(bytes.size()) / kRecord;
    auto raw = torch::empty({n, kRecord}, torch::kUInt8);
    std::memcpy(raw.data_ptr<uint8_t>(), bytes.data(), bytes.size());
    auto labels = raw.select(1, 0).to(torch::kInt64);
    if (labels.max().item<int64_t>() > 9)
      throw std::runtime_error(path + ": label byte above 9: not a CIFAR-10 binary batch");
    ys.push_back(labels);
    xs.push_back(raw.narrow(1, 1, kRecord - 1).reshape({n, 3, 32, 32}).clone());
  }
  return {torch::cat(xs), torch::cat(ys)};
}
}  // namespace

ImageSplit read_cifar10_train(const std::string& dir) {
  return read_batches(
      dir, {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"});
}

ImageSplit read_cifar10_test(const std::string& dir) { return read_batches(dir, {"test_batch.bin"}); }

DatasetSplits load_cifar10(const DatasetInfo&, const TaskConfig& task, int64_t) {
  return {read_cifar10_train(task.data_dir), read_cifar10_test(task.data_dir)};
}

torch::Tensor crop_and_flip(const torch::Tensor& x, const torch::Tensor& offsets, const torch::Tensor& flips,
                            int64_t pad, const torch::Tensor& fill) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  torch::Tensor padded;  // B×C×(H+2p)×(W+2p)
  if (fill.defined()) {
    padded = fill.to(x.options()).expand({b, x.size(1), h + 2 * pad, w + 2 * pad}).clone();
    padded.narrow(2, pad, h).narrow(3, pad, w).copy_(x);
  } else {
    padded = torch::constant_pad_nd(x, {pad, pad, pad, pad}, 0);
  }
  auto opts = torch::TensorOptions().dtype(torch::kInt64).device(x.device());
  auto rows = offsets.select(1, 0).unsqueeze(1) + torch::arange(h, opts).unsqueeze(0);  // B×H
  auto cols = offsets.select(1, 1).unsqueeze(1) + torch::arange(w, opts).unsqueeze(0);  // B×W
  cols = torch::where(flips.unsqueeze(1), cols.flip({1}), cols);
  auto bidx = torch::arange(b, opts).view({b, 1, 1});
  // Advanced indexing on dims 0, 2, 3 -> B×H×W×C, back to B×C×H×W.
  using torch::indexing::Slice;
  auto out = padded.index({bidx, Slice(), rows.unsqueeze(2), cols.unsqueeze(1)});
  return out.permute({0, 3, 1, 2}).contiguous();
}

}  // namespace ms
