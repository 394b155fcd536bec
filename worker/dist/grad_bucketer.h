// Bucketed gradient all-reduce (the PyTorch-DDP / Horovod tensor-fusion idea): parameters
// are grouped into ~25 MB flat buffers allocated once; each step copies the gradients in,
// all-reduces each bucket with one call, scales, and copies them back. A bucket holding a
// single tensor with a contiguous gradient (FlatParameters' buffers) is reduced in place.
#pragma once
#include <vector>

#include <torch/torch.h>

#include "worker/dist/communicator.h"

namespace ms {

class GradBucketer {
 public:
  static constexpr int64_t kDefaultBucketBytes = 25 * 1024 * 1024;

  // Parameters that do not require grad are skipped. Buckets hold one dtype and device each;
  // parameters are taken in reverse order (the order backward produces their gradients).
  GradBucketer(const std::vector<torch::Tensor>& params, Communicator& comm,
               int64_t bucket_bytes = kDefaultBucketBytes);

  // Sums every gradient over the group and multiplies it by `scale` (1/size for a mean of
  // per-rank means). A missing gradient counts as zero and is materialised.
  void all_reduce(double scale);
  size_t bucket_count() const { return buckets_.size(); }

 private:
  struct Bucket {
    torch::Tensor flat;
    std::vector<torch::Tensor> params;
    std::vector<torch::Tensor> views;  // slices of flat, shaped like each parameter
  };
  Communicator& comm_;
  std::vector<Bucket> buckets_;
};

}  // namespace ms
