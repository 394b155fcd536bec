// Per-step learning rate: linear warmup (fractional epochs allowed) then cosine decay to
// min_lr, or constant after warmup. Pure arithmetic, no LibTorch.
#pragma once
#include <cstdint>
#include <string>

namespace ms {

class LrSchedule {
 public:
  // name: "cosine" | "constant"; warmup_epochs may be fractional.
  LrSchedule(const std::string& name, double peak_lr, double min_lr, double warmup_epochs, int64_t steps_per_epoch,
             int64_t epochs);
  // Learning rate for 0-based global step `step` (the step about to be taken).
  double at(int64_t step) const;
  int64_t warmup_steps() const { return warmup_steps_; }
  int64_t total_steps() const { return total_steps_; }

 private:
  bool cosine_;
  double peak_, min_;
  int64_t warmup_steps_, total_steps_;
};

}  // namespace ms
