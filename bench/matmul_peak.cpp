// Measured matmul FLOP/s of this machine (a plain N×N matrix product through torch::mm at the
// given intra-op threads, float by default), and the fraction of it that a training step of a
// sweep variant reaches: model FLOPs × 3 (forward + backward ≈ 3 forwards) / step time, with
// model FLOPs = 2 × MACs from ms::model_cost (fvcore-style, per example) × batch.
//   usage: matmul_peak [--threads N] [--size N] [--device cpu|cuda] [--dtype fp32|bf16|fp16]
//                      [--sweep FILE --variant LABEL] [--batch B] [--steps S]
// --device cuda times back-to-back products between two device synchronisations (the GPU's
// bf16 peak: --device cuda --dtype bf16 --size 8192, bench/gpu_vs_pytorch.sh). The step part
// (--sweep) runs on the CPU, float, whatever --device/--dtype say.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "bench/bench_model.h"
#include "worker/models/model_cost.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median FLOP/s of `reps` timings, each of `inner` products c = a·b back to back.
double gemm_flops(int64_t n, int reps, const torch::Device& device, torch::ScalarType dtype) {
  const auto opts = torch::TensorOptions().dtype(dtype).device(device);
  auto a = torch::randn({n, n}, opts), b = torch::randn({n, n}, opts), c = torch::empty({n, n}, opts);
  const bool cuda = device.is_cuda();
  auto sync = [&] {
    if (cuda) torch::cuda::synchronize(device.index());
  };
  const int inner = cuda ? 20 : 1;  // a GPU product is ~1 ms: amortise launch and sync
  for (int i = 0; i < (cuda ? 10 : 2); ++i) torch::mm_out(c, a, b);
  sync();
  std::vector<double> rates;
  for (int i = 0; i < reps; ++i) {
    const auto t = std::chrono::steady_clock::now();
    for (int j = 0; j < inner; ++j) torch::mm_out(c, a, b);
    sync();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    rates.push_back(2.0 * double(n) * double(n) * double(n) * inner / s);
  }
  return median(rates);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, steps = 20;
  int64_t size = 2048, batch = 128;
  std::string sweep, variant = "baseline", device_spec = "cpu", dtype_name = "fp32";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads")
      threads = std::stoi(v);
    else if (k == "--size")
      size = std::stoll(v);
    else if (k == "--sweep")
      sweep = v;
    else if (k == "--variant")
      variant = v;
    else if (k == "--batch")
      batch = std::stoll(v);
    else if (k == "--steps")
      steps = std::stoi(v);
    else if (k == "--device")
      device_spec = v;
    else if (k == "--dtype")
      dtype_name = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  torch::ScalarType dtype;
  if (dtype_name == "fp32")
    dtype = torch::kFloat;
  else if (dtype_name == "bf16")
    dtype = torch::kBFloat16;
  else if (dtype_name == "fp16")
    dtype = torch::kHalf;
  else {
    std::fprintf(stderr, "--dtype %s: expected fp32, bf16 or fp16\n", dtype_name.c_str());
    return 2;
  }
  if (device_spec != "cpu" && device_spec != "cuda") {
    std::fprintf(stderr, "--device %s: expected cpu or cuda\n", device_spec.c_str());
    return 2;
  }
  if (device_spec == "cuda" && !torch::cuda::is_available()) {
    std::fprintf(stderr, "--device cuda: no CUDA device is available to this LibTorch build\n");
    return 2;
  }
  const torch::Device device = device_spec == "cuda" ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  torch::set_num_threads(threads);
  const double peak = gemm_flops(size, 10, device, dtype);
  if (device.is_cuda())
    std::printf("%s gemm %lldx%lld, %s: %.1f GFLOP/s\n", dtype_name.c_str(), (long long)size, (long long)size,
                device.str().c_str(), peak / 1e9);
  else
    std::printf("%s gemm %lldx%lld, %d thread(s): %.1f GFLOP/s\n", dtype_name.c_str(), (long long)size, (long long)size,
                threads, peak / 1e9);
  if (sweep.empty()) return 0;

  const auto config = ms::bench::variant_config(sweep, variant);
  const ms::ModelCost cost = ms::model_cost(config);
  ms::bench::StepHarness harness(config, batch);
  ms::bench::StepTimes warm;
  for (int i = 0; i < 3; ++i) harness.step(warm);
  std::vector<double> step_s;
  for (int i = 0; i < steps; ++i) {
    ms::bench::StepTimes t;
    harness.step(t);
    step_s.push_back(t.total());
  }
  const double s = median(step_s), flops = 3.0 * 2.0 * double(cost.macs) * double(batch) / s;
  std::printf(
      "%s / %s: %lld params, %.2f MMACs/example, batch %lld: step %.1f ms (median of %d), "
      "%.0f samples/s, %.2f GFLOP/s = %.1f%% of the gemm peak\n",
      sweep.c_str(), variant.c_str(), (long long)cost.params, double(cost.macs) / 1e6, (long long)batch, s * 1e3, steps,
      double(batch) / s, flops / 1e9, 100.0 * flops / peak);
  return 0;
}
