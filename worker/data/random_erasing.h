// Random erasing (Zhong et al. 2020) as DeiT and PoolFormer train with it, timm's RandomErasing in
// its 'pixel' mode with one rectangle: with probability p, a rectangle of the normalised C×H×W
// image becomes per-pixel N(0, 1) noise. Its area is a uniform fraction in [0.02, 1/3) of the
// image, its aspect ratio log-uniform in [0.3, 1/0.3); up to 10 attempts to fit it inside.
#pragma once
#include <functional>

namespace ms {

struct ErasedRect {
  bool erased = false;
  int top = 0, left = 0, height = 0, width = 0;
};

// Erases in place. `uniform01` supplies every draw, in timm's order: the probability test; per
// attempt the area fraction and the log aspect; then top and left; then the noise, two uniforms
// per Box-Muller pair.
ErasedRect random_erase(float* chw, int channels, int height, int width, double probability,
                        const std::function<double()>& uniform01);

}  // namespace ms
