// What `metasweep status` shows for one sweep: counts by status, running jobs with their epoch,
// failures with their messages, throughput so far, what its attempts cost (AttemptCosts, also in
// the report's header) and an ETA. Progress is counted in epochs:
// finished jobs (done, diverged, failed) count as complete, so the ETA covers only the epochs
// still to train; jobs of very different cost make it an estimate, not a promise.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "results/store/store.h"

namespace ms {

struct RunningJob {
  std::string id, section, variant, host;
  int64_t seed = 0;
  int64_t epochs_done = 0, epochs_total = 0;
  double started_at = 0;
  int attempts = 0;
  std::optional<double> test_acc;
};

struct FailedJob {
  std::string id, section, variant, error;
  JobStatus status = JobStatus::Failed;
  int64_t seed = 0;
  int attempts = 0;  // every start, interrupted ones included
  int failures = 0;  // the attempts that ended failed
};

// What the sweep's attempts cost, by how they ended (the job_attempts table, schema v7): an
// attempt's rank time is its duration times its ranks (its GPU time when each rank drives a GPU).
struct AttemptCosts {
  struct Outcome {
    int attempts = 0;
    double rank_s = 0;
  };
  std::map<std::string, Outcome> by_outcome;  // done, diverged, failed, lost, hung, interrupted, running
  int attempts = 0;
  double rank_s = 0;
};

struct SweepProgress {
  std::string sweep;
  StatusCounts counts;
  int total = 0;
  std::vector<RunningJob> running;
  std::vector<FailedJob> failures;            // failed and diverged jobs, and pending ones with an error
                                              // (their last attempt's group lost its GPU: ResultStore::job_requeued)
  int64_t epochs_done = 0, epochs_total = 0;  // done and diverged jobs count as complete
  std::optional<double> first_start;          // earliest job start
  double busy_s = 0;                          // time with a job of the sweep training, over all runs
  double samples_per_s = 0;                   // sum over running jobs' latest epochs
  std::optional<double> epochs_per_hour;
  std::optional<double> eta_s;          // only while jobs are running
  std::optional<std::string> live_run;  // pid of the run holding the database's lock, if any
  std::string db;                       // the database's path, for the commands suggested
  int removed = 0;                      // jobs edits of the sweep file removed (results kept)
  AttemptCosts costs;                   // none recorded before schema v7
  // Jobs recorded as running while no run holds the lock: their run died (SIGKILL, Ctrl-C on
  // `train`, a crash) before it could record them. Re-running the sweep resumes them.
  bool stale_running() const { return !running.empty() && !live_run; }
};

// live_run is read from the run lock beside the database (RunLock::live_holder).
SweepProgress sweep_progress(const ResultStore& store, const std::string& sweep, double now);
// The sweep's attempts (none before schema v7). An attempt still running costs until `now` when
// a live run holds the database, else until its last sign of life (its run died).
AttemptCosts attempt_costs(const ResultStore& store, const std::string& sweep, bool live_run, double now);
// "3h 10m of rank time in 14 attempt(s): 12 done (2h 55m), 1 lost (9m 12s), 1 interrupted (6m 01s
// at least)": outcomes in the order done, diverged, running, failed, hung, lost, interrupted.
std::string format_attempt_costs(const AttemptCosts& costs);
// Failed and diverged jobs are listed one per row up to this many; past it, one row per status
// and message with a count and a few job ids (a large sweep had 302 rows).
constexpr size_t kStatusListedFailures = 20;

std::string format_progress(const SweepProgress& p, double now);
std::string format_duration(double seconds);  // "1h 02m", "3m 10s", "12s"

}  // namespace ms
