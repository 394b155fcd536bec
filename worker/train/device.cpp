// Device selection and the autocast guard.
#include "worker/train/device.h"

#include <stdexcept>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#ifdef METASWEEP_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace ms {

// LibTorch >= 2.4 takes the device type explicitly; older versions have CUDA-only calls.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define MS_AUTOCAST_BY_DEVICE 1
#endif

torch::Device pick_device(const std::string& spec, int local_rank) {
  if (spec == "cpu") return torch::kCPU;
  if (spec != "auto" && spec != "cuda")
    throw std::runtime_error("unknown device '" + spec + "': expected one of auto, cpu, cuda");
  if (!torch::cuda::is_available()) {
    if (spec == "cuda") throw std::runtime_error("--device cuda: no CUDA device is available to this LibTorch build");
    return torch::kCPU;
  }
  const int count = int(torch::cuda::device_count());
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % count));
}

void use_device(const torch::Device& device) {
#ifdef METASWEEP_HAVE_CUDA
  if (device.is_cuda() && device.has_index()) c10::cuda::set_device(device.index());
#else
  (void)device;
#endif
}

CudaSideThread::CudaSideThread(const torch::Device& device) {
#ifdef METASWEEP_HAVE_CUDA
  if (!device.is_cuda()) return;
  use_device(device);
  cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
  C10_CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
  previous_mode_ = static_cast<int>(mode);
  active_ = true;
#else
  (void)device;
#endif
}

CudaSideThread::~CudaSideThread() {
#ifdef METASWEEP_HAVE_CUDA
  if (!active_) return;
  auto mode = static_cast<cudaStreamCaptureMode>(previous_mode_);
  (void)cudaThreadExchangeStreamCaptureMode(&mode);  // a destructor does not throw
#endif
}

AutocastScope::AutocastScope(bool enabled, const torch::Device& device) {
  if (!enabled || !device.is_cuda()) return;
  active_ = true;
#ifdef MS_AUTOCAST_BY_DEVICE
  prev_enabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
  prev_dtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
  prev_enabled_ = at::autocast::is_enabled();
  prev_dtype_ = at::autocast::get_autocast_gpu_dtype();
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  at::autocast::set_enabled(true);
#endif
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#ifdef MS_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(at::kCUDA, prev_enabled_);
  at::autocast::set_autocast_dtype(at::kCUDA, prev_dtype_);
#else
  at::autocast::set_enabled(prev_enabled_);
  at::autocast::set_autocast_gpu_dtype(prev_dtype_);
#endif
}

}  // namespace ms
