// Job status names (the contract strings of DESIGN.md §3), status counts and the epoch line.
#include "sweeps/metrics.h"

#include <cstdio>
#include <stdexcept>

namespace ms {

const char* to_string(JobStatus s) {
  switch (s) {
    case JobStatus::Pending:
      return "pending";
    case JobStatus::Running:
      return "running";
    case JobStatus::Done:
      return "done";
    case JobStatus::Failed:
      return "failed";
    case JobStatus::Diverged:
      return "diverged";
  }
  return "unknown";
}

JobStatus job_status_from_string(const std::string& s) {
  if (s == "pending") return JobStatus::Pending;
  if (s == "running") return JobStatus::Running;
  if (s == "done") return JobStatus::Done;
  if (s == "failed") return JobStatus::Failed;
  if (s == "diverged") return JobStatus::Diverged;
  throw std::invalid_argument("unknown job status '" + s + "'");
}

bool is_finished(JobStatus s) { return s == JobStatus::Done || s == JobStatus::Diverged || s == JobStatus::Failed; }

int StatusCounts::total() const {
  int sum = 0;
  for (int n : n_) sum += n;
  return sum;
}

std::string StatusCounts::text() const {
  std::string out;
  for (JobStatus s : kJobStatuses)
    if (has(s)) out += (out.empty() ? "" : ", ") + std::to_string((*this)[s]) + " " + to_string(s);
  return out;
}

std::string format_epoch_line(const EpochMetrics& m, int64_t epochs) {
  char buf[384], seq[32] = "";
  if (m.test_seq_acc >= 0) std::snprintf(seq, sizeof seq, "  seq_acc %.4f", m.test_seq_acc);
  std::snprintf(buf, sizeof buf,
                "epoch %lld/%lld  train_loss %.6g  test_loss %.6g  test_acc %.4f%s  lr %.3g  %.0f samples/s  %.1f s",
                static_cast<long long>(m.epoch), static_cast<long long>(epochs), m.train_loss, m.test_loss, m.test_acc,
                seq, m.lr, m.samples_per_s, m.wall_s);
  return buf;
}

}  // namespace ms
