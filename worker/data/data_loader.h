// Batches for one rank of a data-parallel job, straight from the in-memory dataset: a
// deterministic permutation per (seed, epoch), global batches of task.batch_size cut from it,
// and each rank's contiguous share of every global batch. No copies beyond index_select.
#pragma once
#include <torch/torch.h>

#include "images/sources/sample_order.h"  // rank_slice: each rank's share of a batch
#include "worker/data/dataset.h"

namespace ms {

// The same permutation of [0, n) on every rank and every run for a given (seed, epoch).
torch::Tensor epoch_permutation(int64_t n, int64_t seed, int64_t epoch);

class DataLoader {
 public:
  // global_batch: examples per optimizer step over the whole group (the last, partial global
  // batch of an epoch is dropped, unless the epoch would have no step at all).
  DataLoader(const Dataset& data, int64_t global_batch, int64_t seed, int rank, int size);

  int64_t steps_per_epoch() const { return steps_; }
  int64_t global_batch() const { return global_batch_; }

  // Draws the epoch's permutation (and augmentation parameters) on the data's device.
  void start_epoch(int64_t epoch);
  // This rank's examples of global step `step` of the current epoch. Returns false when the
  // rank's share is empty (more ranks than examples in the batch).
  bool batch(int64_t step, torch::Tensor& x, torch::Tensor& y) const;

 private:
  const Dataset& data_;
  int64_t global_batch_, steps_, seed_;
  int rank_, size_;
  torch::Tensor perm_, offsets_, flips_;  // per epoch, indexed by position in the permutation
};

}  // namespace ms
