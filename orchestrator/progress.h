// The coordinator's live progress line: jobs done/running/failed/total, elapsed, ETA (from
// estimated job costs), best result so far. Rewritten in place on a terminal, one line per
// change otherwise (logs, CI).
#pragma once
#include <chrono>
#include <map>
#include <string>

namespace ms {

class Progress {
 public:
  Progress(int total_jobs, double total_cost, int already_done);
  void job_started(const std::string& id, double cost, const std::string& label, int epochs);
  void epoch_done(const std::string& id, int epoch, double test_acc);
  void job_ended(const std::string& id, bool failed);
  void job_requeued(const std::string& id);
  // Prints when something changed (or every few seconds on a terminal).
  void maybe_print(bool force = false);
  void finish();
  double elapsed_s() const;
  int done() const { return done_; }
  int failed() const { return failed_; }

 private:
  struct Running {
    double cost;
    std::string label;
    int epochs;
    int epoch_done = 0;
  };
  std::string line() const;

  int total_, done_ = 0, failed_ = 0, resumed_done_;
  double total_cost_, finished_cost_ = 0;
  std::map<std::string, Running> running_;
  double best_acc_ = -1;
  std::string best_label_;
  bool dirty_ = true;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

}  // namespace ms
