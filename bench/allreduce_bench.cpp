// The MPI gradient all-reduce path (MpiCommunicator::all_reduce_sum, GradBucketer) under
// `mpirun -np K`: bytes/s for float buffers of 1..64 MB (algorithm bandwidth = bytes / time;
// bus bandwidth = algbw × 2(K-1)/K, the ring's traffic per rank), then the fraction of a
// data-parallel training step of a sweep variant spent in the bucketer's all-reduce (each rank
// trains batch/K examples; comm time includes waiting for the slower rank).
//   usage: mpirun --oversubscribe --bind-to none -np 2 allreduce_bench [--threads N]
//          [--sweep FILE --variant LABEL] [--batch GLOBAL] [--steps S]
#include <mpi.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_model.h"
#include "communicator.h"

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
    if (k == "--threads") threads = std::stoi(v);
    else if (k == "--sweep") sweep = v;
    else if (k == "--variant") variant = v;
    else if (k == "--batch") batch = std::stoll(v);
    else if (k == "--steps") steps = std::stoi(v);
  }
  torch::set_num_threads(threads);
  {
    auto comm = ms::make_communicator(MPI_COMM_WORLD, torch::kCPU);
    const int size = comm->size();
    const bool root = comm->rank() == 0;
    if (root) std::printf("%d ranks, %d thread(s) per rank\n%10s %12s %12s %12s\n", size, threads, "bytes", "time",
                          "algbw", "busbw");
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
      const auto config = ms::bench::variant_config(sweep, variant);
      ms::bench::StepHarness harness(config, batch / size, comm.get());
      ms::bench::StepTimes warm, t;
      for (int i = 0; i < 5; ++i) harness.step(warm);
      comm->barrier();
      for (int i = 0; i < steps; ++i) harness.step(t);
      if (root)
        std::printf("%s / %s, global batch %lld over %d ranks: step %.2f ms = forward %.2f + backward %.2f + "
                    "all-reduce %.2f + optimizer %.2f; communication %.1f%% of the step\n",
                    sweep.c_str(), variant.c_str(), (long long)batch, size, t.total() / steps * 1e3,
                    t.forward_s / steps * 1e3, t.backward_s / steps * 1e3, t.comm_s / steps * 1e3,
                    t.step_s / steps * 1e3, 100.0 * t.comm_s / t.total());
    }
  }
  MPI_Finalize();
  return 0;
}
