// Progress line with ETA, cut to the terminal's width; timestamped and deduplicated when piped
// (see progress.h).
#include "orchestrator/progress.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <unistd.h>
#include <vector>

#include <sys/ioctl.h>

#include "results/reports/sweep_progress.h"
#include "sweeps/user_text.h"

namespace ms {

namespace {

// Display columns of UTF-8 text: one per code point (continuation bytes take none).
size_t columns_of(const std::string& s) { return terminal_columns(s); }  // wide characters take 2

// What fits in `columns` terminal columns, ending in "…" when something was cut.
std::string cut(const std::string& s, size_t columns) { return cut_to_columns(s, columns); }

std::string plural(int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

int terminal_columns(int fd) {
  if (const char* env = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v > 0 && v < 100000) return static_cast<int>(v);
  }
  winsize ws{};
  if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

std::string local_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &tm);
  return buffer;
}

ProgressOptions stderr_progress_options() {
  ProgressOptions o;
  o.tty = isatty(STDERR_FILENO);
  o.fd = STDERR_FILENO;
  return o;
}

Progress::Progress(int total_jobs, double total_cost, ProgressOptions options)
    : options_(std::move(options)), total_(total_jobs), total_cost_(total_cost) {
  if (!options_.clock)
    options_.clock = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    };
  if (!options_.timestamp) options_.timestamp = local_timestamp;
  start_ = last_print_ = options_.clock();
}

std::ostream& Progress::out() const { return options_.out ? *options_.out : std::cerr; }

int Progress::width() const {
  if (options_.width > 0) return options_.width;
  const int columns = options_.fd >= 0 ? terminal_columns(options_.fd) : 0;
  return columns > 0 ? columns : 80;
}

double Progress::elapsed_s() const { return options_.clock() - start_; }

void Progress::add_finished(const std::string& group, JobStatus status, double test_acc) {
  ++ended_[status];
  if (status == JobStatus::Done && test_acc >= 0) {
    finished_[group].sum += test_acc;
    ++finished_[group].n;
  }
  dirty_ = true;
}

void Progress::job_started(const std::string& id, double cost, const std::string& group, int epochs) {
  running_[id] = Running{cost, group, epochs};
  dirty_ = true;
}

void Progress::epoch_done(const std::string& id, int epoch, double test_acc) {
  auto it = running_.find(id);
  if (it != running_.end()) {
    it->second.epoch_done = epoch;
    it->second.last_acc = test_acc;
  }
  epoch_since_print_ = true;
  dirty_ = true;
}

void Progress::job_ended(const std::string& id, JobStatus status) {
  auto it = running_.find(id);
  if (it != running_.end()) {
    finished_cost_ += it->second.cost;
    if (status == JobStatus::Done && it->second.last_acc >= 0) {
      finished_[it->second.group].sum += it->second.last_acc;
      ++finished_[it->second.group].n;
    }
    running_.erase(it);
  }
  ++ended_[status];
  dirty_ = true;
}

void Progress::job_requeued(const std::string& id) {
  running_.erase(id);
  dirty_ = true;
}

std::string Progress::state() const { return line(-1); }

// Segments from most to least important: the counts, the ETA, the best variant, the elapsed time.
// A narrow terminal gets shorter spellings and a shortened label first, then loses the best
// variant, then the clock. width -1: the line without the clock (state()).
std::string Progress::line(int width) const {
  auto count = [&](JobStatus s) {
    auto it = ended_.find(s);
    return it == ended_.end() ? 0 : it->second;
  };
  const int done = count(JobStatus::Done), diverged = count(JobStatus::Diverged), failed = count(JobStatus::Failed);
  const int finished = done + diverged + failed;
  const int running = static_cast<int>(running_.size());
  std::string jobs =
      "jobs " + std::to_string(finished) + "/" + std::to_string(total_) + ": " + std::to_string(done) + " done";
  std::string jobs_short = std::to_string(finished) + "/" + std::to_string(total_) + " " + std::to_string(done) + " ok";
  if (diverged)
    jobs += ", " + std::to_string(diverged) + " diverged", jobs_short += " " + std::to_string(diverged) + " div";
  if (failed) jobs += ", " + std::to_string(failed) + " failed", jobs_short += " " + std::to_string(failed) + " fail";
  jobs += ", " + std::to_string(running) + " running";
  jobs_short += " " + std::to_string(running) + " run";

  std::string clock, clock_short;
  if (width >= 0) {
    double partial = 0;
    for (const auto& [id, r] : running_) partial += r.epochs > 0 ? r.cost * r.epoch_done / r.epochs : 0;
    const double elapsed = elapsed_s(), spent = finished_cost_ + partial;
    const std::string eta = finished >= total_ && running == 0 ? format_duration(0)  // e.g. all finished before
                            : spent > 0 ? format_duration(elapsed * (total_cost_ - spent) / spent)
                                        : "?";
    clock = " | " + format_duration(elapsed) + ", ETA " + eta;
    clock_short = " | ETA " + eta;
  }

  std::string best_label;
  double best_mean = -1;
  int best_n = 0;
  for (const auto& [group, f] : finished_)
    if (f.n > 0 && f.sum / f.n > best_mean) best_mean = f.sum / f.n, best_label = group, best_n = f.n;
  auto best = [&](size_t label_columns) {
    if (best_n == 0) return std::string();
    char acc[64];
    std::snprintf(acc, sizeof acc, " %.4f (%s)", best_mean, plural(best_n, "seed").c_str());
    return " | best " + cut(best_label, label_columns) + acc;
  };
  const std::string best_full = best(std::string::npos);
  if (width <= 0) return jobs + clock + best_full;

  const size_t w = static_cast<size_t>(width);
  // The first spelling that fits with the best variant (its label shortened to what is left, at
  // least 8 columns) wins; else the first that fits without it; else the counts, cut.
  std::string fallback;
  for (const std::string& head : {jobs + clock, jobs + clock_short, jobs_short + clock_short}) {
    if (columns_of(head) > w) continue;
    if (best_n == 0) return head;
    const size_t fixed_part = columns_of(head) + columns_of(best(0));  // best(0): the segment without its label
    if (fixed_part + 8 <= w) return head + best(w - fixed_part);
    if (fallback.empty()) fallback = head;
  }
  return fallback.empty() ? cut(jobs_short, w) : fallback;
}

void Progress::message(const std::string& text) {
  if (options_.tty) {
    out() << (std::string(line_shown_ ? "\r\033[K" : "") + text + "\n");  // one write: stderr is unbuffered
    line_shown_ = false;
    dirty_ = true;
    maybe_print(true);
  } else {
    out() << (options_.timestamp() + "  " + text + "\n");  // one write: no other output lands inside it
  }
  out().flush();
}

void Progress::maybe_print(bool force) {
  const double now = options_.clock();
  if (options_.tty) {
    if (!force && !dirty_ && now - last_print_ < 1.0) return;
    out() << ("\r\033[K" + line(width() - 1));  // the last column would wrap on some terminals
    line_shown_ = true;
  } else {
    std::string s = state();
    // Nothing new to say: no repeated lines in a log, but a long job's epochs still show (with
    // the ETA they move), one line a minute at the most.
    constexpr double kHeartbeat_s = 60;
    if (s == last_state_ && !(epoch_since_print_ && now - last_print_ >= kHeartbeat_s)) {
      dirty_ = false;
      return;
    }
    epoch_since_print_ = false;
    out() << (options_.timestamp() + "  " + line(0) + "\n");
    last_state_ = std::move(s);
  }
  out().flush();
  dirty_ = false;
  last_print_ = now;
}

void Progress::finish() {
  maybe_print(true);
  if (options_.tty && line_shown_) out() << "\n";
  line_shown_ = false;
  out().flush();
}

}  // namespace ms
