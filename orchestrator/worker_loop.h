// The worker side of `metasweep run`: a group's ranks wait for jobs from the coordinator,
// train each one together (data-parallel over the group communicator) and report epochs and
// outcomes. The one place in the worker where a job's exceptions are caught and recorded.
#pragma once
#include <mpi.h>

#include <string>

#include "transport.h"

namespace ms {

struct WorkerSettings {
  std::string device = "auto";  // auto | cpu | cuda
  int local_rank = 0;           // picks the GPU on CUDA
  int threads = 0;              // LibTorch intra-op threads (0: leave as is)
  bool verbose = false;         // per-epoch lines from the trainer
  std::string cuda_graphs = "auto";  // auto | on | off (TrainOptions::cuda_graphs)
};

// link: the leader's link to the coordinator (nullptr on non-leader ranks of a group).
// group: the group communicator (MPI_COMM_NULL for the in-process single worker).
void run_worker(WorkerLink* link, MPI_Comm group, const WorkerSettings& settings);

}  // namespace ms
