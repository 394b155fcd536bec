// The coordinator's live progress: one line with jobs finished (done, diverged and failed counted
// apart) of the total, running, elapsed, ETA (from estimated job costs) and the best variant so
// far by its mean test accuracy over finished seeds. On a terminal the line is rewritten in place
// and cut to the terminal's width (COLUMNS, else the TIOCGWINSZ size) so it never wraps; piped
// (logs, CI) it is printed when its content changes, and at the end of an epoch once a minute has
// passed since the last line (so a log shows a long job's progress and ETA), every line with a
// timestamp. Other lines (failures, `run -v` epoch lines) go through message() so they never
// tangle with it.
#pragma once
#include <functional>
#include <map>
#include <ostream>
#include <string>

#include "sweeps/metrics.h"

namespace ms {

// Columns of the terminal on fd: COLUMNS when set to a positive number, else the tty's size, else 0.
int terminal_columns(int fd);

// "2026-12-01 19:05:26" (local time): the prefix of every piped line.
std::string local_timestamp();

struct ProgressOptions {
  bool tty = false;                        // rewrite one line in place
  int fd = -1;                             // width: terminal_columns(fd) at each print when width == 0
  int width = 0;                           // fixed width (tests); 0 with fd < 0 and tty: 80
  std::ostream* out = nullptr;             // default std::cerr
  std::function<double()> clock;           // monotonic seconds; default steady_clock
  std::function<std::string()> timestamp;  // default local_timestamp
};

ProgressOptions stderr_progress_options();  // tty from isatty(2), width from fd 2

class Progress {
 public:
  // total_cost: the estimated cost of the jobs this run will train (for the ETA).
  Progress(int total_jobs, double total_cost, ProgressOptions options = stderr_progress_options());
  // A job finished in an earlier run: counted by its status, and towards the best variant.
  void add_finished(const std::string& group, JobStatus status, double test_acc);
  void job_started(const std::string& id, double cost, const std::string& group, int epochs);
  void epoch_done(const std::string& id, int epoch, double test_acc);
  void job_ended(const std::string& id, JobStatus status);
  void job_requeued(const std::string& id);
  void message(const std::string& text);  // a line of its own (failures, epoch lines)
  // Prints when something changed (on a terminal also once a second, for the clock).
  void maybe_print(bool force = false);
  void finish();
  double elapsed_s() const;
  std::string line(int width) const;  // the progress line, cut to width columns (0: no limit)

 private:
  struct Running {
    double cost;
    std::string group;
    int epochs;
    int epoch_done = 0;
    double last_acc = -1;
  };
  struct Finished {
    double sum = 0;
    int n = 0;
  };
  std::string state() const;  // the line without the clock: piped output prints when it changes
  int width() const;
  std::ostream& out() const;

  ProgressOptions options_;
  int total_;
  std::map<JobStatus, int> ended_;
  double total_cost_, finished_cost_ = 0;
  std::map<std::string, Running> running_;
  std::map<std::string, Finished> finished_;  // done jobs' final test_acc by group
  bool dirty_ = true;
  bool epoch_since_print_ = false;  // piped: an epoch ended since the last line (the heartbeat's cue)
  bool line_shown_ = false;         // a terminal line is on screen (message() clears it first)
  std::string last_state_;
  double start_, last_print_;
};

}  // namespace ms
