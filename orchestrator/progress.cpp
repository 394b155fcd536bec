// Progress line with ETA (see progress.h).
#include "progress.h"

#include <unistd.h>

#include <cstdio>

#include "sweep_progress.h"

namespace ms {

Progress::Progress(int total_jobs, double total_cost, int already_done)
    : total_(total_jobs), resumed_done_(already_done), total_cost_(total_cost), tty_(isatty(STDERR_FILENO)) {
  start_ = last_print_ = std::chrono::steady_clock::now();
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::job_started(const std::string& id, double cost, const std::string& label, int epochs) {
  running_[id] = Running{cost, label, epochs};
  dirty_ = true;
}

void Progress::epoch_done(const std::string& id, int epoch, double test_acc) {
  auto it = running_.find(id);
  if (it != running_.end()) {
    it->second.epoch_done = epoch;
    if (test_acc > best_acc_) best_acc_ = test_acc, best_label_ = it->second.label;
  }
  dirty_ = true;
}

void Progress::job_ended(const std::string& id, bool failed) {
  auto it = running_.find(id);
  if (it != running_.end()) {
    finished_cost_ += it->second.cost;
    running_.erase(it);
  }
  (failed ? failed_ : done_)++;
  dirty_ = true;
}

void Progress::job_requeued(const std::string& id) {
  running_.erase(id);
  dirty_ = true;
}

std::string Progress::line() const {
  double partial = 0;
  for (const auto& [id, r] : running_) partial += r.epochs > 0 ? r.cost * r.epoch_done / r.epochs : 0;
  const double elapsed = elapsed_s();
  const double spent = finished_cost_ + partial;
  const double eta = spent > 0 ? elapsed * (total_cost_ - spent) / spent : -1;
  char buf[512];
  std::snprintf(buf, sizeof buf, "jobs %d/%d done, %zu running, %d failed | elapsed %s, ETA %s",
                done_ + resumed_done_, total_, running_.size(), failed_, format_duration(elapsed).c_str(),
                spent > 0 ? format_duration(eta).c_str() : "?");
  std::string s = buf;
  if (best_acc_ >= 0) {
    std::snprintf(buf, sizeof buf, " | best test_acc %.4f (%s)", best_acc_, best_label_.c_str());
    s += buf;
  }
  return s;
}

void Progress::maybe_print(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (!force && !dirty_ && !(tty_ && since > 1.0)) return;
  if (!force && !dirty_ && !tty_) return;
  if (tty_)
    std::fprintf(stderr, "\r\033[K%s", line().c_str());
  else
    std::fprintf(stderr, "%s\n", line().c_str());
  std::fflush(stderr);
  dirty_ = false;
  last_print_ = now;
}

void Progress::finish() {
  maybe_print(true);
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace ms
