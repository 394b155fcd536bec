// Warmup + cosine / constant learning-rate schedule.
#include "worker/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ms {

LrSchedule::LrSchedule(const std::string& name, double peak_lr, double min_lr, double warmup_epochs,
                       int64_t steps_per_epoch, int64_t epochs, const std::string& style, double warmup_lr)
    : peak_(peak_lr), min_(min_lr) {
  if (name != "cosine" && name != "constant")
    throw std::runtime_error("unknown task.schedule.name '" + name + "': expected one of cosine, constant");
  if (style != "metasweep" && style != "timm")
    throw std::runtime_error("unknown task.schedule.style '" + style + "': expected one of metasweep, timm");
  cosine_ = name == "cosine";
  timm_ = style == "timm";
  warmup_lr_ = warmup_lr, warmup_epochs_ = warmup_epochs;
  steps_per_epoch_ = std::max<int64_t>(1, steps_per_epoch), epochs_ = std::max<int64_t>(1, epochs);
  total_steps_ = std::max<int64_t>(1, steps_per_epoch * epochs);
  warmup_steps_ = std::min<int64_t>(total_steps_, std::llround(warmup_epochs * double(steps_per_epoch)));
}

double LrSchedule::at(int64_t step) const {
  if (timm_) {
    const double e = double(step / steps_per_epoch_);  // the 0-based epoch: one rate per epoch
    if (e < warmup_epochs_) return warmup_lr_ + e * (peak_ - warmup_lr_) / warmup_epochs_;
    if (!cosine_) return peak_;
    return min_ + 0.5 * (peak_ - min_) * (1.0 + std::cos(M_PI * std::min(1.0, e / double(epochs_))));
  }
  if (step < warmup_steps_) return peak_ * double(step + 1) / double(warmup_steps_);
  if (!cosine_) return peak_;
  const double span = double(std::max<int64_t>(1, total_steps_ - warmup_steps_));
  const double progress = std::min(1.0, double(step - warmup_steps_) / span);
  return min_ + (peak_ - min_) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace ms
