// Choosing the training device for a rank and scoping bf16 autocast on CUDA, with the API
// differences between LibTorch 1.13 and 2.x kept in one place.
#pragma once
#include <string>

#include <torch/torch.h>

namespace ms {

// spec: "auto" (CUDA when available, else CPU), "cpu" or "cuda". On CUDA a rank takes GPU
// local_rank mod device count. Throws std::runtime_error for "cuda" without a GPU.
torch::Device pick_device(const std::string& spec, int local_rank);

// What trains a job, recorded with each epoch beside its throughput: `ranks` ranks of this kind,
// "2× NVIDIA H200", or on the CPU its model and each rank's LibTorch threads, "1× AMD EPYC 7B13
// (CPU, 2 threads)". The names come from the CUDA runtime and /proc/cpuinfo ("CPU" where it has
// no model name), made printable.
std::string device_description(const torch::Device& device, int ranks);
// The same from its parts (cpu_threads: 0 for a GPU).
std::string device_description(const std::string& name, int ranks, int cpu_threads);

// Makes `device` the calling thread's current CUDA device (no-op on the CPU), as the first thing
// a training thread does: a CUDA call without a device guard then lands on the rank's GPU, never
// on GPU 0 (where it would open a context of its own, about 0.5 GB, per rank).
void use_device(const torch::Device& device);

// RAII, for a thread that makes CUDA calls beside the training thread (the image loader's
// producer, whose batches go to pinned memory): `device` is its current device, and its calls
// (a pinned allocation, an event query) stay allowed while the training thread captures a CUDA
// graph, whose default (global) capture mode would otherwise fail them and the capture.
// No-op on the CPU and in builds without CUDA.
class CudaSideThread {
 public:
  explicit CudaSideThread(const torch::Device& device);
  ~CudaSideThread();
  CudaSideThread(const CudaSideThread&) = delete;
  CudaSideThread& operator=(const CudaSideThread&) = delete;

 private:
  bool active_ = false;
  int previous_mode_ = 0;  // the thread's capture mode before (a cudaStreamCaptureMode)
};

// RAII: bf16 autocast for CUDA ops while alive (no-op when !enabled or on CPU). Restores the
// previous state and clears the autocast cast cache on exit.
class AutocastScope {
 public:
  AutocastScope(bool enabled, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kHalf;
};

}  // namespace ms
