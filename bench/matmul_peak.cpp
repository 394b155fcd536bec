// Measured matmul FLOP/s of this machine (a plain N×N float sgemm through torch::mm at the
// given intra-op threads), and the fraction of it that a training step of a sweep variant
// reaches: model FLOPs × 3 (forward + backward ≈ 3 forwards) / step time, with model FLOPs =
// 2 × MACs from ms::model_cost (fvcore-style, per example) × batch.
//   usage: matmul_peak [--threads N] [--size N] [--sweep FILE --variant LABEL] [--batch B] [--steps S]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_model.h"
#include "model_cost.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double sgemm_flops(int64_t n, int reps) {
  auto a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
  for (int i = 0; i < 2; ++i) torch::mm_out(c, a, b);
  std::vector<double> rates;
  for (int i = 0; i < reps; ++i) {
    const auto t = std::chrono::steady_clock::now();
    torch::mm_out(c, a, b);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    rates.push_back(2.0 * double(n) * double(n) * double(n) / s);
  }
  return median(rates);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, steps = 20;
  int64_t size = 2048, batch = 128;
  std::string sweep, variant = "baseline";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads") threads = std::stoi(v);
    else if (k == "--size") size = std::stoll(v);
    else if (k == "--sweep") sweep = v;
    else if (k == "--variant") variant = v;
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--steps") steps = std::stoi(v);
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  torch::set_num_threads(threads);
  const double peak = sgemm_flops(size, 10);
  std::printf("sgemm %lldx%lld, %d thread(s): %.1f GFLOP/s\n", (long long)size, (long long)size, threads, peak / 1e9);
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
  std::printf("%s / %s: %lld params, %.2f MMACs/example, batch %lld: step %.1f ms (median of %d), "
              "%.0f samples/s, %.2f GFLOP/s = %.1f%% of the sgemm peak\n",
              sweep.c_str(), variant.c_str(), (long long)cost.params, double(cost.macs) / 1e6, (long long)batch,
              s * 1e3, steps, double(batch) / s, flops / 1e9, 100.0 * flops / peak);
  return 0;
}
