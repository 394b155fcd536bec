// What the trainer reads a job's data through: this rank's share of every global training batch
// of an epoch, and this rank's share of the test set in chunks. Two kinds: datasets held in
// memory on the training device (memory_batches.h) and image datasets streamed from disk, decoded
// and augmented per batch (image_stream.h). make_batch_source picks by the dataset catalog.
#pragma once
#include <cstdint>
#include <memory>

#include <torch/torch.h>

#include "sweeps/run_config.h"

namespace ms {

class BatchSource {
 public:
  virtual ~BatchSource() = default;

  virtual int64_t steps_per_epoch() const = 0;
  virtual int64_t global_batch() const = 0;         // examples per optimizer step over the whole group
  virtual bool sequence() const = 0;                // x: B×L tokens, y: B×L targets (else images, labels)
  virtual int64_t targets_per_example() const = 0;  // loss terms per example (L for sequences, else 1)

  // Fixes the epoch's order (and augmentation draws); a pure function of (seed, epoch).
  virtual void start_epoch(int64_t epoch) = 0;
  // This rank's examples of global step `step` (steps come in order within an epoch), on the
  // training device. False when the rank's share is empty (more ranks than examples in a batch).
  virtual bool batch(int64_t step, torch::Tensor& x, torch::Tensor& y) = 0;

  // The test set: this rank's share, in `test_chunks(n)` chunks of at most n examples each.
  virtual int64_t test_chunks(int64_t chunk) const = 0;
  virtual void test_chunk(int64_t index, int64_t chunk, torch::Tensor& x, torch::Tensor& y) = 0;

  // Examples this rank skipped as corrupt (task.on_corrupt: skip) since the epoch started: in
  // its training batches, and in its test chunks (the accuracy is over the rest).
  struct Skipped {
    int64_t train = 0, test = 0;
  };
  virtual Skipped skipped() const { return {}; }
};

struct BatchSourceOptions {
  torch::Device device{torch::kCPU};
  int rank = 0, size = 1;
  int threads = 1;  // decoding threads of a streamed dataset
};

// This rank's share of a test set of `test_size` examples (rank_slice), cut into evaluation
// chunks of `chunk`: how many, and where chunk `index` starts and how many examples it has.
struct TestRange {
  int64_t offset = 0, count = 0;
};
int64_t test_chunk_count(int64_t test_size, int rank, int size, int64_t chunk);
TestRange test_chunk_range(int64_t test_size, int rank, int size, int64_t index, int64_t chunk);
inline int64_t test_chunk_count(int64_t test_size, const BatchSourceOptions& o, int64_t chunk) {
  return test_chunk_count(test_size, o.rank, o.size, chunk);
}
inline TestRange test_chunk_range(int64_t test_size, const BatchSourceOptions& o, int64_t index, int64_t chunk) {
  return test_chunk_range(test_size, o.rank, o.size, index, chunk);
}

// The job's data for this rank: loaded (or generated) and placed on the device, or opened for
// streaming. Throws std::runtime_error naming the file for bad data.
std::unique_ptr<BatchSource> make_batch_source(const TaskConfig& task, int64_t seed, const BatchSourceOptions& options);

}  // namespace ms
