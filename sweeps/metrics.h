// Plain records that travel from the trainer to the coordinator and into the database.
// No LibTorch and no SQLite here: every library can include it.
#pragma once
#include <cstdint>
#include <string>

namespace ms {

// One finished epoch of one job, reduced over the ranks of its group.
struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double train_loss = 0;
  double test_loss = 0;
  double test_acc = 0;       // top-1 (images) or per-token accuracy (sequences), in [0, 1]
  double test_seq_acc = -1;  // exact-sequence accuracy for sequence tasks, -1 when not applicable
  double lr = 0;             // learning rate at the end of the epoch
  double samples_per_s = 0;  // training examples per second, whole group
  double wall_s = 0;         // this epoch's wall time (train + eval)
  // Images skipped as corrupt this epoch (task.on_corrupt: skip), whole group: test_acc and
  // test_loss are over the test images that decoded.
  int64_t skipped_train = 0, skipped_test = 0;
  // What trained it, for its throughput: "2× NVIDIA H200", "1× AMD EPYC 7B13 (CPU, 2 threads)"
  // (worker/train/device.h); "" in checkpoints and databases of older releases.
  std::string device;
};

enum class JobStatus { Pending, Running, Done, Failed, Diverged };

// Every status, in the order tables and progress lines list them (outcomes first).
constexpr JobStatus kJobStatuses[] = {JobStatus::Done, JobStatus::Diverged, JobStatus::Failed, JobStatus::Running,
                                      JobStatus::Pending};

// The order progress lines list them in (the live ones after done).
constexpr JobStatus kJobStatusesByProgress[] = {JobStatus::Done, JobStatus::Running, JobStatus::Pending,
                                                JobStatus::Failed, JobStatus::Diverged};

const char* to_string(JobStatus s);
// The stored name back to the enum; throws std::invalid_argument for anything else.
JobStatus job_status_from_string(const std::string& s);
// Done, diverged or failed: the job will not train again unless asked to.
bool is_finished(JobStatus s);

// How many jobs have each status.
class StatusCounts {
 public:
  int& operator[](JobStatus s) { return n_[static_cast<int>(s)]; }
  int operator[](JobStatus s) const { return n_[static_cast<int>(s)]; }
  bool has(JobStatus s) const { return (*this)[s] > 0; }
  int total() const;
  // The non-zero counts in kJobStatuses order: "3 done" / "2 done, 1 diverged" ("" when none).
  std::string text() const;

 private:
  int n_[5] = {0, 0, 0, 0, 0};
};

// One line per finished epoch, the same wherever it is printed (train, run -v, the trainer):
// "epoch 2/5  train_loss 0.412345  test_loss ...  test_acc 0.8731  lr 0.001  12345 samples/s  3.2 s".
// Losses carry 6 significant digits (enough to compare runs to 1e-5); seq_acc only when set.
std::string format_epoch_line(const EpochMetrics& m, int64_t epochs);

}  // namespace ms
