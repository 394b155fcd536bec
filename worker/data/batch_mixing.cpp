// Mixup and CutMix (see batch_mixing.h).
#include "worker/data/batch_mixing.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "images/sources/sample_order.h"

namespace ms {

namespace {

constexpr uint64_t kMixStream = 5;  // order_stream tag of the per-step mixing draws

double normal(const std::function<double()>& uniform01) {  // one Box-Muller variate
  const double u1 = 1.0 - uniform01(), u2 = uniform01();   // u1 in (0, 1]
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// Gamma(shape, 1) by Marsaglia and Tsang (2000); shape < 1 through Gamma(shape + 1)·U^(1/shape).
double sample_gamma(double shape, const std::function<double()>& uniform01) {
  if (shape < 1.0) {
    const double g = sample_gamma(shape + 1.0, uniform01);
    return g * std::pow(1.0 - uniform01(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double z = 0, v = 0;
    do {
      z = normal(uniform01);
      v = 1.0 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1.0 - uniform01();
    if (u < 1.0 - 0.0331 * z * z * z * z) return d * v;
    if (std::log(u) < 0.5 * z * z + d * (1.0 - v + std::log(v))) return d * v;
  }
}

}  // namespace

double sample_beta(double alpha, const std::function<double()>& uniform01) {
  if (!(alpha > 0)) throw std::invalid_argument("Beta(alpha, alpha) needs alpha > 0");
  const double a = sample_gamma(alpha, uniform01), b = sample_gamma(alpha, uniform01);
  return a + b > 0 ? a / (a + b) : 0.5;
}

MixDraw draw_mix(const MixOptions& o, int height, int width, const std::function<double()>& uniform01) {
  MixDraw d;
  if (!o.enabled() || uniform01() >= o.mix_prob) return d;
  bool cutmix = o.cutmix_alpha > 0;
  if (o.mixup_alpha > 0 && o.cutmix_alpha > 0) cutmix = uniform01() < o.switch_prob;
  d.lam = sample_beta(cutmix ? o.cutmix_alpha : o.mixup_alpha, uniform01);
  if (!cutmix) {
    d.kind = MixKind::Mixup;
    return d;
  }
  const int cy = std::min(height - 1, static_cast<int>(uniform01() * height));  // randint(0, H)
  const int cx = std::min(width - 1, static_cast<int>(uniform01() * width));
  return cutmix_box(height, width, d.lam, cy, cx);
}

MixDraw cutmix_box(int height, int width, double lam, int cy, int cx) {
  MixDraw d;
  d.kind = MixKind::Cutmix;
  const double ratio = std::sqrt(std::max(0.0, 1.0 - lam));
  const int cut_h = static_cast<int>(height * ratio), cut_w = static_cast<int>(width * ratio);
  const int y0 = std::clamp(cy - cut_h / 2, 0, height), y1 = std::clamp(cy + cut_h / 2, 0, height);
  const int x0 = std::clamp(cx - cut_w / 2, 0, width), x1 = std::clamp(cx + cut_w / 2, 0, width);
  d.top = y0, d.left = x0, d.height = y1 - y0, d.width = x1 - x0;
  d.lam = 1.0 - static_cast<double>(d.height) * d.width / (static_cast<double>(height) * width);  // correct_lam
  return d;
}

MixDraw draw_mix_for_step(const MixOptions& options, int height, int width, int64_t seed, int64_t epoch, int64_t step,
                          int rank, int ranks) {
  const uint64_t index = static_cast<uint64_t>(step) * static_cast<uint64_t>(std::max(1, ranks)) +
                         static_cast<uint64_t>(std::max(0, rank));
  Uniform01 u{SplitMix64(order_stream(seed, epoch, kMixStream, index))};
  return draw_mix(options, height, width, std::function<double()>(std::ref(u)));
}

torch::Tensor smoothed_one_hot(const torch::Tensor& labels, int64_t classes, double smoothing) {
  const double off = smoothing / static_cast<double>(classes), on = 1.0 - smoothing + off;
  auto t =
      torch::full({labels.size(0), classes}, off, torch::TensorOptions().dtype(torch::kFloat).device(labels.device()));
  return t.scatter_(1, labels.reshape({-1, 1}), on);
}

MixedBatch mix_batch(const torch::Tensor& x, const torch::Tensor& labels, int64_t classes, double smoothing,
                     const MixDraw& d) {
  torch::NoGradGuard no_grad;
  MixedBatch out;
  const torch::Tensor own = smoothed_one_hot(labels, classes, smoothing);
  if (d.kind == MixKind::None) {
    out.x = x;
    out.targets = own;
    return out;
  }
  const torch::Tensor partner = x.flip({0});
  if (d.kind == MixKind::Mixup) {
    out.x = x * d.lam + partner * (1.0 - d.lam);
  } else {
    out.x = x.clone();
    if (d.height > 0 && d.width > 0) {
      using torch::indexing::Slice;
      const auto rows = Slice(d.top, d.top + d.height), cols = Slice(d.left, d.left + d.width);
      out.x.index_put_({Slice(), Slice(), rows, cols}, partner.index({Slice(), Slice(), rows, cols}));
    }
  }
  out.targets = own * d.lam + own.flip({0}) * (1.0 - d.lam);
  return out;
}

}  // namespace ms
