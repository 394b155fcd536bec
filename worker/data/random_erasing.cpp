// Random erasing (see random_erasing.h).
#include "worker/data/random_erasing.h"

#include <cmath>

namespace ms {

ErasedRect random_erase(float* chw, int channels, int height, int width, double probability,
                        const std::function<double()>& uniform01) {
  ErasedRect r;
  if (probability <= 0 || uniform01() > probability) return r;  // timm: random.random() > p: keep
  constexpr double kMinArea = 0.02, kMaxArea = 1.0 / 3.0, kMinAspect = 0.3;
  const double area = static_cast<double>(height) * width;
  const double log_lo = std::log(kMinAspect), log_hi = std::log(1.0 / kMinAspect);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = (kMinArea + (kMaxArea - kMinArea) * uniform01()) * area;
    const double aspect = std::exp(log_lo + (log_hi - log_lo) * uniform01());
    // Python's round(): half to even, which nearbyint does in the default rounding mode.
    const int h = static_cast<int>(std::nearbyint(std::sqrt(target * aspect)));
    const int w = static_cast<int>(std::nearbyint(std::sqrt(target / aspect)));
    if (!(w < width && h < height)) continue;
    r.erased = true, r.height = h, r.width = w;
    r.top = static_cast<int>(std::floor(uniform01() * (height - h + 1)));  // randint(0, H - h)
    r.left = static_cast<int>(std::floor(uniform01() * (width - w + 1)));  // randint(0, W - w)
    bool have_spare = false;
    double spare = 0;
    const auto normal = [&]() {
      if (have_spare) {
        have_spare = false;
        return spare;
      }
      const double u1 = 1.0 - uniform01(), u2 = uniform01();  // u1 in (0, 1]: log is finite
      const double radius = std::sqrt(-2.0 * std::log(u1)), angle = 2.0 * M_PI * u2;
      spare = radius * std::sin(angle);
      have_spare = true;
      return radius * std::cos(angle);
    };
    for (int c = 0; c < channels; ++c)
      for (int y = r.top; y < r.top + h; ++y) {
        float* row = chw + (static_cast<long>(c) * height + y) * width;
        for (int x = r.left; x < r.left + w; ++x) row[x] = static_cast<float>(normal());
      }
    return r;
  }
  return r;
}

}  // namespace ms
