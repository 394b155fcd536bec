// Rank 0 of `metasweep run`: records the sweep's jobs, hands them to free worker groups
// (longest estimated job first, so the makespan is short), writes every epoch and outcome to
// SQLite as it arrives, retries transient failures, and shows live progress. It never trains
// and never spins: it polls its link with a sleeping back-off.
#pragma once
#include <atomic>
#include <string>
#include <vector>

#include "orchestrator/progress.h"
#include "orchestrator/transport.h"
#include "results/store/store.h"
#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"

namespace ms {

struct RunSettings {
  int max_retries = 2;
  double job_timeout_s = 0;    // 0: no limit
  std::string checkpoint_dir;  // one file per job id
  bool fresh = false;
  bool retrain_older = false;  // train again the jobs an older training semantics trained (sweeps/version.h)
  bool verbose = false;        // an epoch line per job epoch, naming the job (run -v)
  int ranks_per_job = 1;       // the MPI ranks of a worker group (recorded with each attempt; run_sweep sets it)
  ProgressOptions progress = stderr_progress_options();
};

struct RunSummary {
  // skipped_done: done or diverged in earlier runs; failed: failed in this run.
  int total = 0, skipped_done = 0, done = 0, diverged = 0, failed = 0;
  // Jobs that ended failed in earlier runs and used up their attempts: not run again, still
  // failed. retries_needed is the --max-retries that would run every one of them again.
  int failed_before = 0, retries_needed = 0;
  std::vector<std::string> failed_before_ids;  // sweep order
  bool interrupted = false;
  double elapsed_s = 0;  // this run's wall time
  // Worker groups whose GPU or communicator failed for good (they took no more jobs), and the
  // jobs left unrun when no group was left.
  std::vector<std::string> groups_lost;
  int not_run = 0;
  std::string checkpoint_dir;  // the run's --checkpoint-dir ("" without)

  // Whether any job of the sweep is failed or left unrun at the end (`run` exits 1), this run's
  // or earlier ones'.
  bool any_failed() const { return failed > 0 || failed_before > 0 || not_run > 0; }
};

// Set from a signal handler (SIGINT/SIGTERM/SIGPIPE): the coordinator records running jobs as
// interrupted (pending, resumable from their checkpoints) and returns.
extern std::atomic<int> g_stop_signal;

RunSummary run_coordinator(const SweepSpec& spec, const std::string& yaml_text, std::vector<Job> jobs,
                           CoordinatorLink& link, ResultStore& store, const RunSettings& settings);

}  // namespace ms
