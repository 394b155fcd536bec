// What a training rank sets up before its first job, one way for `run` (worker_loop) and
// `train`: its device, its LibTorch threads, the check that the ranks of a group sit on distinct
// GPUs, and the group's data-parallel communicator.
#pragma once
#include <memory>
#include <mpi.h>
#include <string>

#include <torch/torch.h>

#include "orchestrator/mpi_env.h"
#include "orchestrator/worker_settings.h"
#include "worker/dist/collective_watchdog.h"
#include "worker/dist/communicator.h"

namespace ms {

// LibTorch intra-op threads for one training rank: this node's cores shared by the ranks that
// train on it (a coordinator on the node does not count: it sleeps in MPI), and never more than
// the cores this process may run on (mpirun binds ranks to one core by default when there are at
// most 2 ranks: pass --bind-to none or --map-by ...:PE=n to give them more).
int threads_per_rank(const MpiEnvironment& mpi, bool coordinator_on_node);

struct TrainingRank {
  torch::Device device{torch::kCPU};
  // Waits for the group's other ranks (each collective) and for the GPU (each training step) are
  // watched (null on the CPU with a group of one rank, or with a timeout of 0): one past
  // WorkerSettings::hang_timeout_s prints what waited in which job and ends the run (MPI_Abort),
  // as only that frees ranks stuck in MPI, NCCL or the CUDA driver. Declared before `comm`, which
  // refers to it.
  std::unique_ptr<CollectiveWatchdog> watchdog;
  std::unique_ptr<Communicator> comm;  // null for a group of one rank
  int group_size = 1;
};

// `--device cuda` where a training rank has no CUDA device: a UsageError (exit status 2) on every
// rank before anything starts, naming the first such rank. Collective over MPI_COMM_WORLD; `trains`:
// whether this rank trains (rank 0 of `run` under mpirun only coordinates).
void require_requested_device(const std::string& spec, const MpiEnvironment& mpi, bool trains);

// How a node's training ranks share its GPUs when they do not divide evenly ("" when they do, or
// with no GPU): rank i takes GPU i mod `gpus`, so the first GPUs train one job more at once.
std::string gpu_share_warning(const std::string& host, int trainers, int gpus);

// The line a rank prints when its watchdog finds it waiting too long for its partners.
std::string hang_message(const std::string& host, int group_rank, int group_size, const Hang& hang);

// The line a rank prints when its GPU or communicator failed for good in job `job_id` (`error`)
// and its group's other ranks did not come back from the job within `waited_s` (they wait in a
// collective, which has no timeout): it ends the run.
std::string partners_lost_message(const std::string& host, const std::string& job_id, const std::string& error,
                                  double waited_s);

// Writes the message to `path` (whole, by a rename) for the coordinator's next run, which counts
// a hang as the job's failed attempt and a loss (kLostRecordPrefix) as its group's fault, once
// (coordinator.cpp). Errors are ignored: the run ends anyway.
void record_hang(const std::string& path, const std::string& message);

// group: the ranks that train each job together (MPI_COMM_NULL: this rank alone). `announce`:
// this rank prints the one-time notes (the --cuda-graphs note where it cannot apply).
// Collective over `group`. Throws when two ranks of the group would share one GPU.
TrainingRank setup_training_rank(const WorkerSettings& settings, MPI_Comm group, bool announce);

}  // namespace ms
