// Device selection and the autocast guard.
#include "worker/train/device.h"

#include <fstream>
#include <stdexcept>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#ifdef METASWEEP_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

#include "sweeps/user_text.h"

namespace ms {

namespace {

// The first "model name" of /proc/cpuinfo (x86; most ARM kernels have none): "" when absent.
std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t first = line.find_first_not_of(" \t", colon + 1);
    return first == std::string::npos ? "" : line.substr(first);
  }
  return "";
}

}  // namespace

std::string device_description(const std::string& name, int ranks, int cpu_threads) {
  std::string out = std::to_string(ranks) + "× " + printable(name);
  if (cpu_threads > 0) out += " (CPU, " + std::to_string(cpu_threads) + (cpu_threads == 1 ? " thread)" : " threads)");
  return out;
}

std::string device_description(const torch::Device& device, int ranks) {
#ifdef METASWEEP_HAVE_CUDA
  if (device.is_cuda()) {
    cudaDeviceProp properties{};
    if (cudaGetDeviceProperties(&properties, device.has_index() ? device.index() : 0) == cudaSuccess)
      return device_description(properties.name, ranks, 0);
    (void)cudaGetLastError();  // not sticky: clear it
  }
#endif
  if (device.is_cuda()) return device_description("CUDA GPU", ranks, 0);
  static const std::string model = cpu_model_name();
  return device_description(model.empty() ? "CPU" : model, ranks, at::get_num_threads());
}

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
