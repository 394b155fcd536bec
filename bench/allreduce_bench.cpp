// The MPI gradient all-reduce path (MpiCommunicator::all_reduce_sum, GradBucketer) under
// `mpirun -np K`: bytes/s for float buffers of 1..64 MB (algorithm bandwidth = bytes / time;
// bus bandwidth = algbw × 2(K-1)/K, the ring's traffic per rank), then the fraction of a
// data-parallel training step of a sweep variant spent in the bucketer's all-reduce (each rank
// trains batch/K examples; comm time includes waiting for the slower rank), with the parameters
// packed into FlatParameters' buffers (as the trainer has them) and per tensor, side by side.
//   usage: mpirun --oversubscribe --bind-to none -np 2 allreduce_bench [--threads N]
//          [--sweep FILE --variant LABEL] [--batch GLOBAL] [--steps S]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mpi.h>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "bench/bench_model.h"
#include "worker/dist/communicator.h"

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int threads = 1, steps = 40;
  int64_t batch = 128;
  std::string sweep, variant = "baseline";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--threads")
      threads = std::stoi(v);
    else if (k == "--sweep")
      sweep = v;
    else if (k == "--variant")
      variant = v;
    else if (k == "--batch")
      batch = std::stoll(v);
    else if (k == "--steps")
      steps = std::stoi(v);
  }
  torch::set_num_threads(threads);
  {
    auto comm = ms::make_communicator(MPI_COMM_WORLD, torch::kCPU);
    const int size = comm->size();
    const bool root = comm->rank() == 0;
    if (root)
      std::printf("%d ranks, %d thread(s) per rank\n%10s %12s %12s %12s\n", size, threads, "bytes", "time", "algbw",
                  "busbw");
    for (int64_t mb : {1, 4, 16, 64}) {
      auto buf = torch::ones({mb * 1024 * 1024 / 4});
      for (int i = 0; i < 3; ++i) comm->all_reduce_sum(buf);
      const int reps = mb >= 16 ? 10 : 30;
      std::vector<double> times;
      for (int i = 0; i < reps; ++i) {
        comm->barrier();
        const auto t = std::chrono::steady_clock::now();
        comm->all_reduce_sum(buf);
        times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count());
      }
      const double s = median(times), bytes = double(mb) * 1024 * 1024, alg = bytes / s;
      if (root)
        std::printf("%7lld MB %9.2f ms %8.2f GB/s %8.2f GB/s\n", (long long)mb, s * 1e3, alg / 1e9,
                    alg * 2.0 * (size - 1) / size / 1e9);
    }
    if (!sweep.empty()) {
      // Both parameter layouts, interleaved in rounds so that machine noise hits them alike.
      const auto config = ms::bench::variant_config(sweep, variant);
      ms::bench::StepHarness per_tensor(config, batch / size, comm.get(), /*packed=*/false);
      ms::bench::StepHarness packed(config, batch / size, comm.get(), /*packed=*/true);
      ms::bench::StepTimes warm, t[2];
      for (int i = 0; i < 5; ++i) {
        per_tensor.step(warm);
        packed.step(warm);
      }
      constexpr int kRounds = 5;
      for (int r = 0; r < kRounds; ++r)
        for (int which = 0; which < 2; ++which) {
          comm->barrier();
          for (int i = 0; i < steps / kRounds; ++i) (which ? packed : per_tensor).step(t[which]);
        }
      const int n = steps / kRounds * kRounds;
      for (int which = 0; which < 2; ++which)
        if (root)
          std::printf(
              "%s / %s, global batch %lld over %d ranks, %s: step %.2f ms = forward %.2f + backward %.2f + "
              "all-reduce %.2f + optimizer %.2f; communication %.1f%% of the step\n",
              sweep.c_str(), variant.c_str(), (long long)batch, size,
              which ? "packed parameters" : "per-tensor parameters", t[which].total() / n * 1e3,
              t[which].forward_s / n * 1e3, t[which].backward_s / n * 1e3, t[which].comm_s / n * 1e3,
              t[which].step_s / n * 1e3, 100.0 * t[which].comm_s / t[which].total());
      if (root)
        std::printf("packed / per-tensor: whole step %.3fx, all-reduce + optimizer %.3fx as fast\n",
                    t[0].total() / t[1].total(), (t[0].comm_s + t[0].step_s) / (t[1].comm_s + t[1].step_s));
    }
  }
  MPI_Finalize();
  return 0;
}
