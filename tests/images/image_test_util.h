// Helpers of the image tests: a deterministic test picture with gradients, noise and hard edges
// (what resampling and JPEG get wrong first), and numbers spelled exactly for Pillow's script.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "images/image.h"

namespace ms::test {

inline Image test_image(int w, int h, int channels, uint32_t seed) {
  Image im = make_image(w, h, channels);
  std::mt19937 rng(seed);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c) {
        int v = (x * 255 / w + y * 255 / h) / 2 + static_cast<int>(rng() % 61) - 30 + 20 * c;
        if (((x / 9) + (y / 4)) % 6 == 0) v = ((y / 4) % 2) ? 255 : 0;
        im.at(x, y, c) = static_cast<uint8_t>(std::min(255, std::max(0, v)));
      }
  return im;
}

// A double as the shortest text that reads back exactly (for the Pillow reference script).
inline std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace ms::test
