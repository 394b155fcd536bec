// Plain records that travel from the trainer to the coordinator and into the database.
// No LibTorch and no SQLite here: every library can include it.
#pragma once
#include <cstdint>
#include <string>

namespace ms {

// One finished epoch of one job, reduced over the ranks of its group.
struct EpochMetrics {
  int64_t epoch = 0;           // 1-based
  double train_loss = 0;
  double test_loss = 0;
  double test_acc = 0;         // top-1 (images) or per-token accuracy (sequences), in [0, 1]
  double test_seq_acc = -1;    // exact-sequence accuracy for sequence tasks, -1 when not applicable
  double lr = 0;               // learning rate at the end of the epoch
  double samples_per_s = 0;    // training examples per second, whole group
  double wall_s = 0;           // this epoch's wall time (train + eval)
};

enum class JobStatus { Pending, Running, Done, Failed, Diverged };

const char* to_string(JobStatus s);
JobStatus job_status_from_string(const std::string& s);

}  // namespace ms
