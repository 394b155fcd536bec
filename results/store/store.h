// ResultStore: the results database of metasweep (DESIGN.md §5). The coordinator (rank 0) is the
// only writer: it opens the store in Writer mode, which creates or upgrades the schema and takes
// an exclusive run lock for the object's lifetime. `status`, `results` and `report` open it
// ReadOnly; in WAL mode they neither wait for nor block the writer.
#pragma once
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "results/store/run_lock.h"
#include "results/store/sqlite_db.h"
#include "sweeps/job.h"
#include "sweeps/metrics.h"
#include "sweeps/sweep_spec.h"

namespace ms {

enum class OpenMode { ReadOnly, Writer };

struct SweepInfo {
  std::string name;
  std::string description;
  std::string file;
  std::string yaml;
  std::vector<std::string> sections;  // file order, "baseline" first
  std::string reference_metric;
  double created_at = 0;  // seconds since the Unix epoch
  double updated_at = 0;
};

// What registering a sweep changed in its membership (the jobs its tables show).
// The device of epochs an older metasweep trained (no record), in a job's JobRow::device beside
// recorded ones ("1× NVIDIA H200 + not recorded").
inline constexpr const char* kUnrecordedDevice = "not recorded";

struct MembershipChange {
  bool new_sweep = false;
  int added = 0;    // jobs of the current definition that were not members before
  int removed = 0;  // members before that the current definition no longer has
  int kept = 0;
  std::string previous_file;  // the file the sweep was registered from before, when different
  // fresh: the jobs reset to pending, former members an edit removed included (their checkpoints
  // are the caller's to remove), and the finished jobs left as they were because another sweep
  // holds them too, now or as a former member (their results are that sweep's as well; `forget
  // --job` retrains one), with those sweeps' names.
  std::vector<std::string> reset;
  int former_reset = 0;  // of `reset`, the former members (no other sweep names them)
  std::vector<std::string> kept_shared;
  std::vector<std::string> sharing_sweeps;
};

// One start of a job (the job_attempts table, schema v7).
struct Attempt {
  int number = 0;  // 1, 2, ...: the job's attempts count when it started
  double started_at = 0;
  // Its end; while it runs, and for one a killed run interrupted, its last recorded epoch (its
  // start before any): the time an interrupted attempt cost is known to a lower bound.
  double ended_at = 0;
  std::string where;  // the worker group (host and ranks) or `train` command that ran it
  int ranks = 1;      // MPI ranks it trained on (one GPU each on a GPU cluster)
  // What it ran on ("2× NVIDIA H200"); "" when not known (before schema 9, or killed before it
  // trained an epoch).
  std::string device;
  // running | done | diverged | failed | lost (its group's GPU or communicator failed; no retry
  // used) | hung (its watchdog ended the run) | interrupted (a stopped or killed run)
  std::string outcome;
  std::string error;
  // How long it ran: one still running until `now` when its run is alive, else until its last
  // sign of life; and its rank time, that times its ranks (GPU time where each rank drives one).
  double duration(double now, bool run_alive) const {
    const double end = outcome == "running" && run_alive ? std::max(now, ended_at) : ended_at;
    return std::max(0.0, end - started_at);
  }
  double rank_seconds(double now, bool run_alive) const { return duration(now, run_alive) * std::max(1, ranks); }
};

// "" when the path names a file; otherwise why it cannot hold results (":memory:", "", URIs).
std::string database_path_problem(const std::string& path);

class ResultStore {
 public:
  // ReadOnly on a missing file throws ms::UsageError("PATH: no such database"). Writer creates
  // the file and schema and refuses (ms::UsageError) when another run holds the database.
  ResultStore(const std::string& path, OpenMode mode);

  // ---- writer (coordinator) -------------------------------------------------------------
  // Upserts the sweep, inserts new jobs as pending (a known id keeps its state: resume) and
  // replaces the sweep's membership with exactly `jobs` (DESIGN.md §4: a sweep is its current
  // definition); members the file no longer has move to removed_sweep_jobs, their jobs and
  // results stay. fresh = start the sweep over: its jobs back to pending with no epochs,
  // metrics, attempts or errors, except finished jobs another sweep also holds (as `forget
  // --sweep` keeps them).
  MembershipChange register_sweep(const SweepSpec& spec, const std::string& yaml_text, const std::vector<Job>& jobs,
                                  bool fresh);
  // Marks the job running, opens its next attempt (trained by `where` on `ranks` MPI ranks) and,
  // when it starts from scratch, records which metasweep and which training semantics
  // (sweeps/version.h) train it.
  void job_started(const std::string& id, const std::string& where, int ranks = 1);
  // Members of `sweep` trained (wholly or partly) under a training semantics older than their
  // config needs (sweeps/version.h: semantics_needed), or before it was recorded: what `run
  // --retrain-older` trains again.
  std::vector<std::string> jobs_trained_before(const std::string& sweep) const;
  // Back to pending with no epochs, metrics, attempts (their history too), failures, errors or
  // version marks (what `--fresh` does to a whole sweep). The caller removes their checkpoints.
  void reset_jobs(const std::vector<std::string>& ids);
  // Replaces the epoch row (a resumed job re-records epochs), drops rows of later epochs left by
  // an abandoned attempt, and updates the job's progress and final metrics. Committed at once.
  // An epoch the running attempt trained (not one `replayed` from an earlier attempt's checkpoint)
  // also says what the attempt runs on.
  void record_epoch(const std::string& id, const EpochMetrics& m, bool replayed = false);
  // What the job's open attempt (running, or interrupted before its end was reported) runs on
  // (device_description: "2× NVIDIA H200"); "" leaves it. Only when none is recorded yet, unless
  // `over_recorded` (an epoch's): a report after a lost GPU may know only "CUDA GPU".
  void attempt_ran_on(const std::string& id, const std::string& device, bool over_recorded = false);
  // wall_s < 0 keeps the sum of the epochs' wall times. A failed job counts one more failure. The
  // running attempt ends with the job's status, or `outcome` when given (`lost`: a loss of its
  // group's GPU that counts as the job's failure, as a second one does).
  void job_finished(const std::string& id, JobStatus status, const std::string& error, double wall_s,
                    const std::string& outcome = "");
  // Back to pending after an attempt its job is not to blame for (its group's GPU or communicator
  // failed): no failure is counted, so no --max-retries is used up; `error` stays as what ended it,
  // and the attempt ends `lost`.
  void job_requeued(const std::string& id, const std::string& error);
  // An attempt of the job ended the run at `ended_at` (a rank's record, written then and read by
  // the next run after reset_stale_running: a hang, or a GPU lost while the job's other ranks
  // waited): the last attempt started before then ends `outcome` (hung, lost) with `error` at that
  // time, and the job fails (one more failure) when `failure`, else goes back to pending with
  // `error` kept, as job_requeued.
  void job_ended_run(const std::string& id, const std::string& outcome, const std::string& error, bool failure,
                     double ended_at);
  // running -> pending (jobs a stopped run interrupts); their attempts end `interrupted` now.
  void reset_running(const std::string& sweep);
  // Every `running` job of the database back to pending, whatever sweep it belongs to (or none,
  // after an edit dropped it): a writer holds the run lock, so no other run is writing and every
  // `running` row was left by a dead run. Their attempts end `interrupted` at their last recorded
  // epoch. Returns how many.
  int reset_stale_running();

  // ---- readers ---------------------------------------------------------------------------
  // Ids in sweep order that still need running: pending, running (interrupted earlier), or
  // failed with failures <= max_retries.
  std::vector<std::string> runnable_jobs(const std::string& sweep, int max_retries) const;
  int attempts(const std::string& id) const;  // every start, interrupted ones included
  // When the job was last reset to pending without results (forget --job, --fresh,
  // --retrain-older); none if never (or before schema 8 recorded it).
  std::optional<double> reset_at(const std::string& id) const;
  int failures(const std::string& id) const;  // the attempts that ended failed (what --max-retries limits)
  int losses(const std::string& id) const;    // the attempts that ended `lost` (job_requeued)
  std::vector<Attempt> attempt_history(const std::string& id) const;  // oldest first; none before v7
  // Members of `sweep` of which an attempt ended with an error that contains `text` (as text, no
  // pattern), in any run since the job was last reset.
  std::set<std::string> jobs_with_attempt_error(const std::string& sweep, const std::string& text) const;
  JobStatus status(const std::string& id) const;
  std::string error(const std::string& id) const;
  std::vector<EpochMetrics> epochs(const std::string& id) const;
  std::vector<std::string> sweeps() const;  // by creation time
  std::optional<SweepInfo> sweep_info(const std::string& name) const;
  bool has_sweep(const std::string& name) const;
  // The stored spelling of the sweep a user typed as `typed`: itself when stored so, else the one
  // sweep whose name is the same text in another Unicode encoding (sweeps/names.h name_key: "é"
  // as one character or as "e" + a combining accent), else `typed` (for "no sweep" messages).
  std::string sweep_named(const std::string& typed) const;
  // Throws ms::UsageError when a stored sweep has `name` in another encoding (sweep_named): one
  // sweep, one name; two would show as two identical names. register_sweep checks it too.
  void check_new_sweep_name(const std::string& name) const;
  bool has_table(const std::string& name) const;
  StatusCounts status_counts(const std::string& sweep) const;

  const Database& db() const { return db_; }
  const std::string& path() const { return path_; }
  OpenMode mode() const { return mode_; }

 private:
  void reset_job_rows(const std::vector<std::string>& ids);  // inside the caller's transaction
  // The jobs row of job_finished, and of job_requeued (`what` names the caller for an unknown job),
  // inside the caller's transaction.
  void record_finished(const std::string& id, JobStatus status, const std::string& error, double wall_s);
  void record_requeued(const std::string& id, const std::string& error, const char* what);
  // Ends the job's running attempt (if any) with `outcome` and `error`; at this moment when
  // ended_now, else at its last sign of life. Inside the caller's transaction.
  void close_attempt(const std::string& id, const std::string& outcome, const std::optional<std::string>& error,
                     bool ended_now);
  void require_writer(const char* what) const;
  std::string path_;
  OpenMode mode_;
  std::optional<RunLock> lock_;  // declared before db_: released after the connection closes
  Database db_;
};

double unix_now();  // seconds since the Unix epoch, as stored in the database
// When `path` was last written, in unix_now()'s seconds; none when it cannot be read.
std::optional<double> file_mtime(const std::string& path);

}  // namespace ms
