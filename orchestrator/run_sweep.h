// `metasweep run` as one library call: every rank validates the sweep; alone (no mpirun) this
// process coordinates and trains on a thread; under mpirun rank 0 coordinates and ranks
// 1..K-1 train in groups of `ranks_per_job`. Signals: SIGINT/SIGTERM record the running jobs as
// interrupted (resumable from their checkpoints) and end the run with status 130; so does SIGPIPE
// on rank 0 (its output pipe closed: `run 2>&1 | head`), with status 141.
#pragma once
#include <cstdint>
#include <string>

#include "orchestrator/coordinator.h"
#include "orchestrator/mpi_env.h"
#include "orchestrator/worker_settings.h"

namespace ms {

struct RunRequest {
  std::string sweep_file, db_path;
  int64_t max_jobs = 0;   // refuse sweeps that expand to more jobs (sweeps/sweep_spec.h)
  int ranks_per_job = 1;  // MPI ranks that train one job together
  RunSettings settings;   // retries, timeout, checkpoints, fresh, retrain_older, verbose
  WorkerSettings worker;  // device, --cuda-graphs, --threads (0: filled in here, as the local rank is)
};

// Runs the whole sweep; prints the summary on rank 0. Returns the process exit status (0 all
// done, 1 some job failed). Setup failures throw on every rank alike: UsageError for bad input
// (exit 2), anything else for a runtime failure (exit 1). Exits with 130 itself on a signal.
int run_sweep(const RunRequest& request, const MpiEnvironment& mpi);

}  // namespace ms
