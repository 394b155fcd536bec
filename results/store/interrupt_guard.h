// Ctrl-C (SIGINT), SIGTERM or SIGPIPE (`train ... | head`: its output's reader left) during
// `metasweep train --db`: the trained job is recorded back as `pending` (resumable from its
// checkpoint) instead of staying `running` for ever, and the process exits 128 + the signal (130
// for Ctrl-C). The signal handler only writes a byte to a pipe; a watcher thread makes the update on
// its own SQLite connection and ends the process. The guard's destructor restores the previous
// handlers and stops the watcher.
#pragma once
#include <string>
#include <thread>

namespace ms {

class InterruptGuard {
 public:
  InterruptGuard(std::string db_path, std::string job_id);
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  void watch();
  std::string db_path_, job_id_;
  int pipe_[2] = {-1, -1};
  std::thread watcher_;
};

}  // namespace ms
