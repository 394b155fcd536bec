// Managing what a results database keeps (`metasweep forget`, `metasweep note`): forgetting a
// sweep (the sweep, its memberships, and the jobs no other sweep shares, with their epochs and
// checkpoints) or one job's results (back to pending, epochs and checkpoint dropped, so the next
// run trains it afresh), and free-text notes attached to a sweep. Every change takes the
// writer's run lock first, so it is refused while a `metasweep run` uses the database.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "results/store/store.h"

namespace ms {

struct ForgetPlan {
  std::string sweep;
  std::vector<std::string> jobs;    // removed: members of no other sweep
  std::vector<std::string> shared;  // kept: members of other sweeps too
  int64_t epochs = 0;               // epoch rows removed with the jobs
};

struct JobInfo {
  std::string id;
  JobStatus status = JobStatus::Pending;
  int64_t epochs = 0;
  std::vector<std::string> sweeps;
};

struct SweepNote {
  double created_at = 0;  // seconds since the Unix epoch
  std::string text;
};

// Throw ms::UsageError for an unknown sweep or job id. job_info takes a job id or a prefix of
// exactly one job's id (as `plan`, `results` and `train --job` show them); JobInfo::id is the
// whole id. An ambiguous prefix is refused, naming the ids it matches.
ForgetPlan plan_forget_sweep(const ResultStore& store, const std::string& sweep);
JobInfo job_info(const ResultStore& store, const std::string& id_or_prefix);

// Job `id`'s checkpoint files in `dir`: every file named ID.ckpt* (the checkpoint, the trainer's
// fallback copy, a hang record); none when `dir` is "" or cannot be read.
std::vector<std::string> checkpoint_files(const std::string& dir, const std::string& id);
// Deletes job `id`'s checkpoint files in `dir` (the current one and the trainer's fallback copies;
// none when `dir` is empty), only those last written before `written_before` (Unix seconds) when
// given, and returns how many there were. Errors are ignored.
int remove_checkpoints(const std::string& dir, const std::string& id,
                       std::optional<double> written_before = std::nullopt);
// What `run` and `train` call before a job starts: its checkpoints in `dir` from before the
// database last reset it (a `forget --job` or fresh start while the run's --checkpoint-dir was
// elsewhere kept them there; resumed, they would bring back the results the reset dropped).
// A checkpoint the database merely lacks the epochs of (a crash, a `train` without --db) stays:
// it is resumed and its epochs recorded again.
int remove_checkpoints_from_before_reset(const ResultStore& store, const std::string& dir, const std::string& id);

// checkpoint_dir: where the runs kept checkpoints (default DB.checkpoints); its files of the
// removed or reset jobs are deleted too. Both take the run lock (UsageError while a run holds it).
ForgetPlan forget_sweep(const std::string& db_path, const std::string& sweep, const std::string& checkpoint_dir);
void forget_job(const std::string& db_path, const std::string& id, const std::string& checkpoint_dir);

// The note is free user text (sweeps/user_text.h): empty (blank) text, invalid UTF-8 or a control
// character other than a line break or tab is refused with ms::UsageError, the database untouched.
void add_note(const std::string& db_path, const std::string& sweep, const std::string& text);
std::vector<SweepNote> sweep_notes(const ResultStore& store, const std::string& sweep);  // oldest first
// For `status`: "  notes:" and one "    YYYY-MM-DD HH:MM  text" line per note (local time); "" for none.
std::string format_notes(const std::vector<SweepNote>& notes);
// A note as a terminal shows it: every line after the first indented by `indent` spaces, tabs as
// spaces, and any control character or invalid byte an older database may hold as \xNN.
std::string note_terminal_text(const std::string& text, size_t indent);

}  // namespace ms
