// CUDA graphs for the training step of small models, where kernel-launch overhead dominates:
// the forward pass, the loss and the backward pass of one full-size batch are captured once
// into an at::cuda::CUDAGraph and replayed every step. The optimizer step, the gradient
// all-reduce and gradient clipping stay eager, outside the graph, so learning-rate changes,
// collectives and optimizer state need no special care.
//
// Capture follows PyTorch's recipe (torch.cuda.graphs): a few warm-up steps on a side stream
// from the pool (cuDNN/cuBLAS handles, cuFFT plans and lazily built caches are made outside the
// capture), model buffers (BatchNorm running statistics) and the CUDA generator restored after
// them, a device sync, then capture on the side stream with autocast's cast cache off. Inputs are
// copied into static tensors before each replay. A parameter whose .grad is defined when the
// step is built (a view of FlatParameters' gradient buffer, as the trainer sets up) gets its
// gradient copied there by the graph itself; otherwise its .grad becomes a static tensor of the
// graph's private memory pool that each replay overwrites.
// Stochastic depth draws from the CUDA generator's graph-safe philox path.
//
// A build without a CUDA LibTorch (METASWEEP_HAVE_CUDA undefined) still has every declaration
// here: use_cuda_graphs() is then always false and the class is never constructed.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "worker/models/model.h"

namespace ms {

// "auto" uses graphs on CUDA for models with fewer trainable parameters than this.
constexpr int64_t kGraphAutoMaxParams = 20'000'000;

// Whether this build can capture CUDA graphs (compiled against a CUDA LibTorch).
bool cuda_graphs_compiled();

// Whether a job should train with a graphed step. mode: "auto" | "on" | "off" (anything else
// throws std::invalid_argument). Never on CPU, nor in a build without CUDA.
bool use_cuda_graphs(const std::string& mode, const torch::Device& device, int64_t trainable_params);

// One line saying why mode "on" has no effect on this device or build; empty when it has.
std::string cuda_graphs_note(const std::string& mode, const torch::Device& device);

class GraphedTrainStep {
 public:
  // model: on a CUDA device, in training mode when run. params: its trainable parameters; each
  // run leaves their gradients in their .grad (see above). The step computes
  // loss = smoothed_cross_entropy_sum(model(x), y, smoothing) (under bf16 autocast when bf16)
  // and the gradient of loss * loss_scale, like the trainer's eager step.
  GraphedTrainStep(ModelImpl& model, std::vector<torch::Tensor> params, const torch::Device& device, bool bf16,
                   double smoothing, double loss_scale);
  ~GraphedTrainStep();
  GraphedTrainStep(const GraphedTrainStep&) = delete;
  GraphedTrainStep& operator=(const GraphedTrainStep&) = delete;

  // Whether run() takes this batch: before the first capture any batch on the device (it fixes
  // the shapes), afterwards only batches of the captured shapes and dtypes.
  bool accepts(const torch::Tensor& x, const torch::Tensor& y) const;
  // Forward + loss + backward of (x, y): the first call warms up and captures, every call
  // replays. Sets each parameter's .grad to its gradient and returns the summed (unscaled) loss
  // as a 0-dim tensor that the next run overwrites.
  torch::Tensor run(const torch::Tensor& x, const torch::Tensor& y);
  // Drops the graph (parameters reloaded or replaced); the next run captures anew.
  void reset();
  bool captured() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ms
