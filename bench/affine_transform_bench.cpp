// Microseconds per call of ms::affine_transform (images/affine_transform.h) on a 224×224 RGB (and
// grey) image for the matrices RandAugment builds: rotations, shears and translations, bilinear and
// bicubic (nearest for comparison). Single-threaded; the fastest of REPEATS rounds of CALLS calls
// each, in thread CPU time (steadier than wall time on a shared machine). To compare two versions of
// the transform, build this at both commits and run them in turn.
//   affine_transform_bench [CALLS=200] [REPEATS=7]
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

#include "images/affine_transform.h"
#include "images/image.h"

namespace {

double cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e6 + t.tv_nsec * 1e-3;
}

struct Case {
  const char* name;
  double a[6];
};

// Pillow's rotate matrix about the centre (as images/rand_augment.cpp builds it, without round15).
Case rotation(const char* name, double degrees, int w, int h) {
  const double rad = -degrees * M_PI / 180.0, cx = w / 2.0, cy = h / 2.0;
  Case c{name, {std::cos(rad), std::sin(rad), 0.0, -std::sin(rad), std::cos(rad), 0.0}};
  c.a[2] = c.a[0] * -cx + c.a[1] * -cy + cx;
  c.a[5] = c.a[3] * -cx + c.a[4] * -cy + cy;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const int calls = argc > 1 ? std::atoi(argv[1]) : 200;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 7;
  const int side = 224;
  const uint8_t fill[3] = {124, 116, 104};
  const std::vector<Case> cases = {rotation("rotate 17°", 17.0, side, side),
                                   {"shear_x 0.2", {1, 0.2, 0, 0, 1, 0}},
                                   {"shear_y -0.25", {1, 0, 0, -0.25, 1, 0}},
                                   {"translate_x 30.5", {1, 0, 30.5, 0, 1, 0}},
                                   {"translate_y -45", {1, 0, 0, 0, 1, -45}}};
  const struct {
    const char* name;
    ms::Filter filter;
  } filters[] = {
      {"nearest", ms::Filter::Nearest}, {"bilinear", ms::Filter::Bilinear}, {"bicubic", ms::Filter::Bicubic}};
  unsigned checksum = 0;
  for (int channels : {3, 1}) {
    ms::Image im = ms::make_image(side, side, channels);
    std::mt19937 rng(1);
    // Photo-like: gradients, mild noise and hard-edged blocks (pure noise would overshoot the
    // bicubic clamp at most pixels, which real images seldom do).
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x)
        for (int c = 0; c < channels; ++c) {
          int v = (x + y) / 2 + 20 * c + static_cast<int>(rng() % 21) - 10;
          if ((x / 16 + y / 16) % 5 == 0) v = (y / 16) % 2 ? 230 : 20;
          im.at(x, y, c) = static_cast<uint8_t>(std::min(255, std::max(0, v)));
        }
    for (const auto& f : filters)
      for (const Case& c : cases) {
        std::vector<double> us;
        for (int r = 0; r < repeats; ++r) {
          const double start = cpu_us();
          for (int i = 0; i < calls; ++i) checksum += ms::affine_transform(im, c.a, f.filter, fill).pixels[i % 1000];
          us.push_back((cpu_us() - start) / calls);
        }
        std::sort(us.begin(), us.end());
        std::printf("%s %-8s %-17s %8.1f us/call\n", channels == 3 ? "RGB " : "grey", f.name, c.name, us.front());
      }
  }
  std::printf("checksum %u\n", checksum);
  return 0;
}
