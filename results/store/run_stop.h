// Finding and stopping the `metasweep run` that writes a database (`metasweep stop`): the run
// lock (run_lock.h) is held by the writer and names its pid. Stopping sends it SIGTERM, which the
// coordinator answers as it does Ctrl-C: running jobs are recorded as interrupted (pending,
// resumable from their checkpoints), no further job starts, and the run exits; the same `run`
// command resumes the sweep later.
#pragma once
#include <optional>
#include <string>

namespace ms {

struct RunHolder {
  int pid = 0;
  std::string command;  // its command line, arguments joined by spaces ("" when not on this host)
};

// The process holding the database's lock file (RunLock::lock_file_for), or none when no run
// writes the database.
std::optional<RunHolder> run_holder(const std::string& db_path);

// SIGTERM to the holder; throws ms::UsageError when it is not a metasweep process on this host
// (a run on another node must be stopped there).
void stop_run(const RunHolder& holder);

}  // namespace ms
