// The BatchSource of a dataset held in memory on the training device (every catalog dataset
// that is not streamed): the DataLoader's shuffled global batches, the test set in order.
#pragma once
#include "worker/data/batch_source.h"
#include "worker/data/data_loader.h"
#include "worker/data/dataset.h"

namespace ms {

class MemoryBatches : public BatchSource {
 public:
  // Moves `data` onto options.device.
  MemoryBatches(Dataset data, int64_t global_batch, int64_t seed, const BatchSourceOptions& options);

  int64_t steps_per_epoch() const override { return loader_.steps_per_epoch(); }
  int64_t global_batch() const override { return loader_.global_batch(); }
  bool sequence() const override { return data_.sequence; }
  int64_t targets_per_example() const override { return data_.sequence ? data_.train_y.size(1) : 1; }
  void start_epoch(int64_t epoch) override { loader_.start_epoch(epoch); }
  bool batch(int64_t step, torch::Tensor& x, torch::Tensor& y) override { return loader_.batch(step, x, y); }
  int64_t test_chunks(int64_t chunk) const override;
  void test_chunk(int64_t index, int64_t chunk, torch::Tensor& x, torch::Tensor& y) override;

 private:
  Dataset data_;
  DataLoader loader_;
  int rank_, size_;
};

}  // namespace ms
