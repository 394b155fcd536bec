// Image datasets streamed from disk (catalog entries `imagefolder` and `webdataset`): the index
// (images/sources/) is built when the job starts; every step, this rank reads only the images of
// its share of the global batch (images/sources/sample_order.h: the same order for any number of
// ranks), decodes them (scaled JPEG decode when the crop allows) and augments them on a pool of
// threads, one batch ahead of the trainer, into pinned memory copied asynchronously on CUDA.
// Training: RandomResizedCrop + horizontal flip + RandAugment (images/rand_augment.h), then
// random erasing after normalisation (task.augment.*), drawn per (seed, epoch, image)
// so a resumed or re-sharded run sees the same crops. Test: resize to image_size/eval_crop_pct,
// center crop. Pixels normalised with fixed statistics (task.augment.normalize).
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "images/rand_augment.h"
#include "images/resample.h"
#include "images/sources/image_set.h"
#include "images/sources/sample_order.h"
#include "worker/data/batch_source.h"
#include "worker/data/parallel_for.h"

namespace ms {

class ImageStream : public BatchSource {
 public:
  ImageStream(ImageSet train, ImageSet test, Shuffle shuffle, const TaskConfig& task, int64_t seed,
              const BatchSourceOptions& options);
  ~ImageStream() override;

  int64_t steps_per_epoch() const override { return steps_; }
  int64_t global_batch() const override { return global_batch_; }
  bool sequence() const override { return false; }
  int64_t targets_per_example() const override { return 1; }
  void start_epoch(int64_t epoch) override;
  bool batch(int64_t step, torch::Tensor& x, torch::Tensor& y) override;
  int64_t test_chunks(int64_t chunk) const override;
  void test_chunk(int64_t index, int64_t chunk, torch::Tensor& x, torch::Tensor& y) override;
  Skipped skipped() const override { return {skipped_train_.load(), skipped_test_.load()}; }

 private:
  struct Batch {
    torch::Tensor x, y;  // on the host (pinned on CUDA)
  };
  Batch prepare(const std::vector<size_t>& records, const ImageSet& set, bool train, int64_t epoch);
  void stop_producer();

  ImageSet train_, test_;
  Shuffle shuffle_;
  TaskConfig task_;
  int64_t seed_, global_batch_ = 0, steps_ = 0;
  BatchSourceOptions options_;
  Filter filter_;
  std::optional<RandAugmentParams> rand_augment_;  // task.augment.rand_augment, when on
  float lut_[3][256];                              // normalised value of each byte, per channel
  // CPU training batch buffers, reused once nothing but this ring holds them: a fresh 150 MB
  // batch per step cost more in page faults than the decoding itself (producer thread only).
  std::vector<torch::Tensor> ring_;
  ParallelFor pool_;

  // The producer prepares the epoch's batches in order, at most kAhead ahead of the trainer.
  std::thread producer_;
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<Batch> queue_;
  int64_t next_step_ = 0;  // the step the trainer asks for next
  bool cancel_ = false;
  std::exception_ptr failure_;
  std::atomic<int64_t> skipped_train_{0}, skipped_test_{0};  // this epoch's
};

}  // namespace ms
