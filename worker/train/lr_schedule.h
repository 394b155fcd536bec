// Per-step learning rate: linear warmup (fractional epochs allowed) then cosine decay to
// min_lr, or constant after warmup. Pure arithmetic, no LibTorch.
//
// Style "metasweep": the rate changes every step; warmup step s of W runs at lr (s + 1) / W;
// the cosine spans the steps after warmup. Style "timm": timm's CosineLRScheduler as the
// PoolFormer and DeiT training scripts use it (t_in_epochs, warmup_prefix off, no cycles or
// noise): one rate per epoch; 0-based epoch e < warmup_epochs runs at warmup_lr + e (lr -
// warmup_lr) / warmup_epochs; later epochs at min_lr + (lr - min_lr) (1 + cos(pi e / epochs)) / 2,
// a cosine over all epochs, warmup included (constant: lr). timm's cooldown epochs, trained at
// min_lr after `epochs`, are not part of it: add them to task.epochs only with that in mind.
#pragma once
#include <cstdint>
#include <string>

namespace ms {

class LrSchedule {
 public:
  // name: "cosine" | "constant"; warmup_epochs may be fractional; style: "metasweep" | "timm".
  LrSchedule(const std::string& name, double peak_lr, double min_lr, double warmup_epochs, int64_t steps_per_epoch,
             int64_t epochs, const std::string& style = "metasweep", double warmup_lr = 0);
  // Learning rate for 0-based global step `step` (the step about to be taken).
  double at(int64_t step) const;
  int64_t warmup_steps() const { return warmup_steps_; }
  int64_t total_steps() const { return total_steps_; }

 private:
  bool cosine_, timm_ = false;
  double peak_, min_, warmup_lr_ = 0, warmup_epochs_ = 0;
  int64_t warmup_steps_, total_steps_, steps_per_epoch_ = 1, epochs_ = 1;
};

}  // namespace ms
