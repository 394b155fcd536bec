// Deterministic shuffling and per-rank batch slicing.
#include "worker/data/data_loader.h"

#include <stdexcept>

#include "worker/data/dataset_cifar.h"

namespace ms {

namespace {
constexpr int64_t kCropPad = 4;

at::Generator epoch_generator(int64_t seed, int64_t epoch, uint64_t stream) {
  uint64_t s =
      uint64_t(seed) * 0x9E3779B97F4A7C15ULL ^ (uint64_t(epoch) + 0x632BE59BD9B4E019ULL) * 0xBF58476D1CE4E5B9ULL;
  return at::detail::createCPUGenerator(s ^ (stream * 0x94D049BB133111EBULL));
}
}  // namespace

torch::Tensor epoch_permutation(int64_t n, int64_t seed, int64_t epoch) {
  auto gen = epoch_generator(seed, epoch, 1);
  return torch::randperm(n, gen, torch::kInt64);
}

DataLoader::DataLoader(const Dataset& data, int64_t global_batch, int64_t seed, int rank, int size)
    : data_(data), seed_(seed), rank_(rank), size_(size) {
  if (global_batch < 1) throw std::runtime_error("task.batch_size must be at least 1");
  global_batch_ = std::min(global_batch, data.train_size());
  steps_ = data.train_size() / global_batch_;
}

void DataLoader::start_epoch(int64_t epoch) {
  const auto device = data_.train_x.device();
  perm_ = epoch_permutation(data_.train_size(), seed_, epoch).to(device);
  if (data_.augment) {
    auto gen = epoch_generator(seed_, epoch, 2);
    offsets_ = torch::randint(0, 2 * kCropPad + 1, {data_.train_size(), 2}, gen, torch::kInt64).to(device);
    flips_ = (torch::randint(0, 2, {data_.train_size()}, gen, torch::kInt64) == 1).to(device);
  }
}

bool DataLoader::batch(int64_t step, torch::Tensor& x, torch::Tensor& y) const {
  const auto [begin, end] = rank_slice(global_batch_, rank_, size_);
  if (end == begin) return false;
  const int64_t start = step * global_batch_ + begin, count = end - begin;
  auto idx = perm_.narrow(0, start, count);
  x = data_.train_x.index_select(0, idx);
  y = data_.train_y.index_select(0, idx);
  if (data_.augment) x = crop_and_flip(x, offsets_.narrow(0, start, count), flips_.narrow(0, start, count), kCropPad,
                                           data_.pad_value);
  return true;
}

}  // namespace ms
