// Training-rank setup shared by `run` and `train` (see training_rank.h).
#include "orchestrator/training_rank.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sched.h>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <vector>

#include "sweeps/errors.h"
#include "sweeps/user_text.h"
#include "worker/dist/gpu_slots.h"
#include "worker/dist/watched_communicator.h"
#include "worker/train/cuda_graph_step.h"
#include "worker/train/device.h"

namespace ms {

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

std::string gpu_share_warning(const std::string& host, int trainers, int gpus) {
  if (gpus <= 0 || trainers % gpus == 0) return "";
  const int more = trainers % gpus, per = trainers / gpus;
  return "warning: " + printable(host) + ": " + std::to_string(trainers) + " ranks train on " + std::to_string(gpus) +
         " GPUs, so GPU" + (more > 1 ? "s 0-" + std::to_string(more - 1) : std::string(" 0")) + " train" +
         (more > 1 ? "" : "s") + " " + std::to_string(per + 1) + " job(s) at once and the others " +
         std::to_string(per) + ": give each node a multiple of " + std::to_string(gpus) +
         " training ranks (one task more on the node of rank 0, which only coordinates)";
}

std::string hang_message(const std::string& host, int group_rank, int group_size, const Hang& hang) {
  char waited[32];
  std::snprintf(waited, sizeof waited, "%.0f", hang.waited_s);
  const bool alone = group_size == 1;
  return printable(host) + ", " +
         (alone ? std::string("a one-rank group")
                : "rank " + std::to_string(group_rank) + " of a group of " + std::to_string(group_size)) +
         (hang.context.empty() ? "" : " (" + hang.context + ")") + ": " + hang.what + " has not finished after " +
         waited + " s: " + (alone ? "its GPU hangs" : "a rank of the group or its GPU hangs") +
         " without an error (a stopped GPU, a stalled file system or network); ending the run, the same command "
         "resumes it (--hang-timeout SEC sets this limit)";
}

std::string partners_lost_message(const std::string& host, const std::string& job_id, const std::string& error,
                                  double waited_s) {
  char waited[32];
  std::snprintf(waited, sizeof waited, "%.0f", waited_s);
  return printable(host) + ": job " + job_id + " failed on this rank for good (" + error +
         ") and the other ranks of its group did not come back from the job within " + waited +
         " s (waiting in a collective): ending the run; the same command resumes it (leave this GPU out)";
}

void record_hang(const std::string& path, const std::string& message) {
  // Written whole, then renamed: every rank of a hung group may record it; the coordinator reads
  // one complete line.
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << message << "\n";
    if (!out) return;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

TrainingRank setup_training_rank(const WorkerSettings& settings, MPI_Comm group, bool announce) {
  TrainingRank rank;
  rank.device = pick_device(settings.device, settings.local_rank);
  use_device(rank.device);                                  // this thread trains: its current device is the rank's GPU
  if (rank.device.is_cuda() && settings.local_rank == 0) {  // once per node
    const std::string warning =
        gpu_share_warning(settings.host, settings.local_trainers, static_cast<int>(torch::cuda::device_count()));
    if (!warning.empty()) std::fprintf(stderr, "%s\n", warning.c_str());
  }
  // NCCL cannot run two ranks of one job on one GPU: refused before any communicator exists.
  if (group != MPI_COMM_NULL && rank.device.is_cuda()) require_one_rank_per_gpu(group, rank.device.index());
  if (announce) {
    const std::string note = cuda_graphs_note(settings.cuda_graphs, rank.device);
    if (!note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
  }
  if (group != MPI_COMM_NULL) MPI_Comm_size(group, &rank.group_size);
  if (rank.group_size > 1) rank.comm = make_communicator(group, rank.device);
  // A group's collectives are watched, and a GPU's steps (a one-rank job on a stopped GPU would
  // otherwise hold the run for ever: nothing else notices).
  if ((rank.group_size > 1 || rank.device.is_cuda()) && settings.hang_timeout_s > 0) {
    int group_rank = 0;
    if (group != MPI_COMM_NULL) MPI_Comm_rank(group, &group_rank);
    rank.watchdog = std::make_unique<CollectiveWatchdog>(
        settings.hang_timeout_s, [host = settings.host, group_rank, size = rank.group_size](const Hang& hang) {
          const std::string message = hang_message(host, group_rank, size, hang);
          std::fprintf(stderr, "metasweep: error: %s\n", message.c_str());
          std::fflush(stderr);
          if (!hang.record_path.empty()) record_hang(hang.record_path, kHungRecordPrefix + message);
          // The waiting ranks are stuck in MPI or NCCL: only ending the run frees them. MPI_Abort
          // from this thread (MPI is initialised FUNNELED) is outside the standard's promise, but
          // Open MPI and MPICH tear the job down from any thread, and under srun only an abort
          // (not an exit) reliably ends the other tasks (mpi_run_hung_rank runs it).
          MPI_Abort(MPI_COMM_WORLD, 1);
          std::_Exit(1);  // never reached when the abort works
        });
    if (rank.comm)
      rank.comm = std::make_unique<WatchedCommunicator>(std::move(rank.comm), rank.watchdog.get(), rank.device);
  }
  return rank;
}

}  // namespace ms
