// In-memory batches (see memory_batches.h) and make_batch_source, which picks the kind.
#include "worker/data/memory_batches.h"

#include "sweeps/datasets.h"
#include "worker/data/loaders.h"

namespace ms {

MemoryBatches::MemoryBatches(Dataset data, int64_t global_batch, int64_t seed, const BatchSourceOptions& options)
    : data_(std::move(data)),
      loader_(data_, global_batch, seed, options.rank, options.size),
      rank_(options.rank),
      size_(options.size) {
  data_.to(options.device);  // before the first epoch: the loader draws on the data's device
}

int64_t MemoryBatches::test_chunks(int64_t chunk) const {
  return test_chunk_count(data_.test_size(), rank_, size_, chunk);
}

void MemoryBatches::test_chunk(int64_t index, int64_t chunk, torch::Tensor& x, torch::Tensor& y) {
  const TestRange r = test_chunk_range(data_.test_size(), rank_, size_, index, chunk);
  x = data_.test_x.narrow(0, r.offset, r.count);
  y = data_.test_y.narrow(0, r.offset, r.count);
}

std::unique_ptr<BatchSource> make_batch_source(const TaskConfig& task, int64_t seed,
                                               const BatchSourceOptions& options) {
  const DatasetInfo& info = dataset_info(task.dataset);
  const LoaderEntry& reader = find_loader(info.loader);
  if (reader.open) return reader.open(info, task, seed, options);
  return std::make_unique<MemoryBatches>(load_dataset(task, seed), task.batch_size, seed, options);
}

}  // namespace ms
