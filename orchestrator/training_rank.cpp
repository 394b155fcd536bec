// Training-rank setup shared by `run` and `train` (see training_rank.h).
#include "orchestrator/training_rank.h"

#include <algorithm>
#include <cstdio>
#include <sched.h>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sweeps/errors.h"
#include "worker/train/cuda_graph_step.h"
#include "worker/train/device.h"

namespace ms {

namespace {

// Refuses a multi-rank CUDA group with two ranks on one GPU (NCCL cannot run that).
void check_distinct_gpus(MPI_Comm group, const torch::Device& device) {
  if (group == MPI_COMM_NULL || !device.is_cuda()) return;
  char host[MPI_MAX_PROCESSOR_NAME] = {0};
  int len = 0;
  MPI_Get_processor_name(host, &len);
  const std::string mine = std::string(host, len) + ":" + std::to_string(device.index());
  int size = 0;
  MPI_Comm_size(group, &size);
  std::vector<char> all(static_cast<size_t>(size) * 256, 0);
  char buf[256] = {0};
  mine.copy(buf, 255);
  MPI_Allgather(buf, 256, MPI_CHAR, all.data(), 256, MPI_CHAR, group);
  std::set<std::string> seen;
  for (int r = 0; r < size; ++r)
    if (!seen.insert(std::string(&all[static_cast<size_t>(r) * 256])).second)
      throw std::runtime_error("two ranks of one job share GPU " + std::string(&all[static_cast<size_t>(r) * 256]) +
                               ": use at most one rank per GPU per job (fewer --ranks-per-job or more GPUs)");
}

}  // namespace

int threads_per_rank(const MpiEnvironment& mpi, bool coordinator_on_node) {
  cpu_set_t set;
  int allowed = static_cast<int>(std::thread::hardware_concurrency());
  if (sched_getaffinity(0, sizeof set, &set) == 0) allowed = CPU_COUNT(&set);
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const int trainers = std::max(1, mpi.local_size() - (coordinator_on_node ? 1 : 0));
  return std::max(1, std::min(allowed, cores / trainers));
}

void require_requested_device(const std::string& spec, const MpiEnvironment& mpi, bool trains) {
  const bool missing = trains && spec == "cuda" && !torch::cuda::is_available();
  const int first = mpi.min_over_ranks(missing ? mpi.rank() : mpi.size());
  if (first == mpi.size()) return;
  throw UsageError("--device cuda: no CUDA device is available" +
                   (mpi.size() > 1 ? " to rank " + std::to_string(first) : std::string()) +
                   " (a CPU-only LibTorch build, or no GPU visible); use --device auto or --device cpu");
}

TrainingRank setup_training_rank(const WorkerSettings& settings, MPI_Comm group, bool announce) {
  TrainingRank rank;
  rank.device = pick_device(settings.device, settings.local_rank);
  check_distinct_gpus(group, rank.device);
  if (announce) {
    const std::string note = cuda_graphs_note(settings.cuda_graphs, rank.device);
    if (!note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
  }
  if (group != MPI_COMM_NULL) MPI_Comm_size(group, &rank.group_size);
  if (rank.group_size > 1) rank.comm = make_communicator(group, rank.device);
  return rank;
}

}  // namespace ms
