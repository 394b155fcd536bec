// Job status names (the contract strings of DESIGN.md §3).
#include "metrics.h"

#include <stdexcept>

namespace ms {

const char* to_string(JobStatus s) {
  switch (s) {
    case JobStatus::Pending: return "pending";
    case JobStatus::Running: return "running";
    case JobStatus::Done: return "done";
    case JobStatus::Failed: return "failed";
    case JobStatus::Diverged: return "diverged";
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

}  // namespace ms
