// affine_transform against a verbatim copy of the per-pixel implementation it replaced (Pillow 9.4's
// generic affine transform through clipping samplers, no fast paths), byte for byte on many random
// matrices (rotations, shears, translations, scales, general ones; partly and wholly outside the
// image; on integer and half-integer offsets where the interior test sits on its bounds), grey and
// RGB, tiny to medium sizes. Pillow itself is the judge in rand_augment_test.cpp; this test pins
// the faster code to the old one on far more cases than a Python round trip allows.
#include "images/affine_transform.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/images/image_test_util.h"

namespace ms {
namespace {

// ---- The reference: images/affine_transform.cpp before the fast paths, unchanged but for names. ----

int old_affine_coord(double v) { return v < 0.0 ? -1 : static_cast<int>(v); }
int old_affine_floor(double v) { return v < 0.0 ? static_cast<int>(std::floor(v)) : static_cast<int>(v); }

struct OldAffineSampler {
  const Image& im;
  int clip_x(int x) const { return x < 0 ? 0 : x < im.width ? x : im.width - 1; }
  int clip_y(int y) const { return y < 0 ? 0 : y < im.height ? y : im.height - 1; }
  bool row_ok(int y) const { return y >= 0 && y < im.height; }
  uint8_t px(int x, int y, int c) const { return im.at(x, y, c); }

  bool bilinear(double xin, double yin, uint8_t* out) const {
    if (xin < 0.0 || xin >= im.width || yin < 0.0 || yin >= im.height) return false;
    xin -= 0.5;
    yin -= 0.5;
    const int x = old_affine_floor(xin), y = old_affine_floor(yin);
    const double dx = xin - x, dy = yin - y;
    const int x0 = clip_x(x), x1 = clip_x(x + 1);
    for (int c = 0; c < im.channels; ++c) {
      const int yc = clip_y(y);
      double v1 = px(x0, yc, c) + (px(x1, yc, c) - px(x0, yc, c)) * dx;
      double v2 = v1;
      if (row_ok(y + 1)) v2 = px(x0, y + 1, c) + (px(x1, y + 1, c) - px(x0, y + 1, c)) * dx;
      v1 = v1 + (v2 - v1) * dy;
      out[c] = static_cast<uint8_t>(v1);
    }
    return true;
  }

  static double cubic(double v1, double v2, double v3, double v4, double d) {
    const double p1 = v2;
    const double p2 = -v1 + v3;
    const double p3 = 2 * (v1 - v2) + v3 - v4;
    const double p4 = -v1 + v2 - v3 + v4;
    return p1 + d * (p2 + d * (p3 + d * p4));
  }
  double cubic_row(int y, const int xs[4], int c, double dx) const {
    return cubic(px(xs[0], y, c), px(xs[1], y, c), px(xs[2], y, c), px(xs[3], y, c), dx);
  }

  bool bicubic(double xin, double yin, uint8_t* out) const {
    if (xin < 0.0 || xin >= im.width || yin < 0.0 || yin >= im.height) return false;
    xin -= 0.5;
    yin -= 0.5;
    int x = old_affine_floor(xin), y = old_affine_floor(yin);
    const double dx = xin - x, dy = yin - y;
    --x;
    --y;
    const int xs[4] = {clip_x(x), clip_x(x + 1), clip_x(x + 2), clip_x(x + 3)};
    for (int c = 0; c < im.channels; ++c) {
      const double v1 = cubic_row(clip_y(y), xs, c, dx);
      const double v2 = row_ok(y + 1) ? cubic_row(y + 1, xs, c, dx) : v1;
      const double v3 = row_ok(y + 2) ? cubic_row(y + 2, xs, c, dx) : v2;
      const double v4 = row_ok(y + 3) ? cubic_row(y + 3, xs, c, dx) : v3;
      const double v = cubic(v1, v2, v3, v4, dy);
      out[c] = v <= 0.0 ? 0 : v >= 255.0 ? 255 : static_cast<uint8_t>(v);
    }
    return true;
  }
};

Image old_affine_filled(const Image& image, const uint8_t fill[3]) {
  Image out = make_image(image.width, image.height, image.channels);
  const size_t channels = static_cast<size_t>(image.channels), n = out.pixels.size();
  for (size_t i = 0; i < n; ++i) out.pixels[i] = fill[i % channels];
  return out;
}

void old_affine_copy_pixel(const Image& from, int fx, int fy, Image& to, int tx, int ty) {
  const size_t channels = static_cast<size_t>(from.channels);
  std::memcpy(to.row(ty) + tx * channels, from.row(fy) + fx * channels, channels);
}

Image old_affine_transform(const Image& im, const double a[6], Filter filter, const uint8_t fill[3]) {
  Image out = old_affine_filled(im, fill);
  const int w = im.width, h = im.height;
  if (filter != Filter::Nearest) {
    const OldAffineSampler s{im};
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const double xin = x + 0.5, yin = y + 0.5;
        const double xx = a[0] * xin + a[1] * yin + a[2];
        const double yy = a[3] * xin + a[4] * yin + a[5];
        if (filter == Filter::Bilinear)
          s.bilinear(xx, yy, &out.at(x, y, 0));
        else
          s.bicubic(xx, yy, &out.at(x, y, 0));
      }
    return out;
  }

  if (a[1] == 0 && a[3] == 0) {
    std::vector<int> xintab(static_cast<size_t>(w), 0);
    double xo = a[2] + a[0] * 0.5, yo = a[5] + a[4] * 0.5;
    int xmin = w, xmax = 0;
    for (int x = 0; x < w; ++x) {
      const int xin = old_affine_coord(xo);
      if (xin >= 0 && xin < w) {
        xmax = x + 1;
        if (x < xmin) xmin = x;
        xintab[static_cast<size_t>(x)] = xin;
      }
      xo += a[0];
    }
    for (int y = 0; y < h; ++y) {
      const int yi = old_affine_coord(yo);
      if (yi >= 0 && yi < h)
        for (int x = xmin; x < xmax; ++x) old_affine_copy_pixel(im, xintab[static_cast<size_t>(x)], yi, out, x, y);
      yo += a[4];
    }
    return out;
  }

  auto check_fixed = [&](int x, int y) {
    return std::fabs(x * a[0] + y * a[1] + a[2]) < 32768.0 && std::fabs(x * a[3] + y * a[4] + a[5]) < 32768.0;
  };
  if (check_fixed(0, 0) && check_fixed(w, h) && check_fixed(0, h) && check_fixed(w, 0)) {
    auto fix = [](double v) { return old_affine_floor(v * 65536.0 + 0.5); };
    const int a0 = fix(a[0]), a1 = fix(a[1]), a3 = fix(a[3]), a4 = fix(a[4]);
    int a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5), a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5);
    for (int y = 0; y < h; ++y) {
      int xx = a2, yy = a5;
      for (int x = 0; x < w; ++x) {
        const int xin = xx >> 16;
        if (xin >= 0 && xin < w) {
          const int yin = yy >> 16;
          if (yin >= 0 && yin < h) old_affine_copy_pixel(im, xin, yin, out, x, y);
        }
        xx += a0;
        yy += a3;
      }
      a2 += a1;
      a5 += a4;
    }
    return out;
  }

  double xo = a[2] + a[1] * 0.5 + a[0] * 0.5, yo = a[5] + a[4] * 0.5 + a[3] * 0.5;
  for (int y = 0; y < h; ++y) {
    double xx = xo, yy = yo;
    for (int x = 0; x < w; ++x) {
      const int xin = old_affine_coord(xx);
      if (xin >= 0 && xin < w) {
        const int yin = old_affine_coord(yy);
        if (yin >= 0 && yin < h) old_affine_copy_pixel(im, xin, yin, out, x, y);
      }
      xx += a[0];
      yy += a[3];
    }
    xo += a[1];
    yo += a[4];
  }
  return out;
}

// ---- The cases. ----

struct AffineCase {
  std::string what;
  double a[6];
};

// Rotation by `degrees` about the centre, as Image.rotate builds it (less its rounding to 15 digits),
// scaled by `scale` and shifted by (tx, ty).
AffineCase affine_rotation(double degrees, double scale, double tx, double ty, int w, int h) {
  const double rad = -degrees * M_PI / 180.0, cx = w / 2.0, cy = h / 2.0;
  AffineCase c{"rotate " + test::number(degrees) + " scale " + test::number(scale) + " shift " + test::number(tx) +
                   "," + test::number(ty),
               {scale * std::cos(rad), scale * std::sin(rad), 0.0, -scale * std::sin(rad), scale * std::cos(rad), 0.0}};
  c.a[2] = c.a[0] * -cx + c.a[1] * -cy + cx + tx;
  c.a[5] = c.a[3] * -cx + c.a[4] * -cy + cy + ty;
  return c;
}

std::vector<AffineCase> affine_cases(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto half = [&](int lo, int hi) {  // integers and half-integers: the interior test on its bounds
    return std::uniform_int_distribution<int>(2 * lo, 2 * hi)(rng) / 2.0;
  };
  std::vector<AffineCase> cases = {{"identity", {1, 0, 0, 0, 1, 0}},
                                   {"wholly outside right", {1, 0, 2.0 * w + 3, 0, 1, 0}},
                                   {"wholly outside above", {1, 0, 0, 0, 1, -1.5 * h - 2}},
                                   {"one source pixel", {0, 0, 0.5, 0, 0, 0.5}},
                                   {"mirror", {-1, 0, double(w), 0, -1, double(h)}},
                                   {"transpose-like", {0, 1, 0, 1, 0, 0}}};
  for (int i = 0; i < 12; ++i) {
    cases.push_back({"translate", {1, 0, half(-w, w), 0, 1, half(-h, h)}});
    cases.push_back({"translate fractional", {1, 0, uniform(-1.2 * w, 1.2 * w), 0, 1, uniform(-1.2 * h, 1.2 * h)}});
    cases.push_back({"shear_x", {1, uniform(-0.6, 0.6), half(-2, 2), 0, 1, 0}});
    cases.push_back({"shear_y", {1, 0, 0, uniform(-0.6, 0.6), 1, half(-2, 2)}});
    cases.push_back({"scale", {uniform(0.2, 3.0), 0, uniform(-w, w), 0, uniform(0.2, 3.0), uniform(-h, h)}});
    cases.push_back(affine_rotation(uniform(-180, 180), 1.0, 0, 0, w, h));
    cases.push_back(affine_rotation(uniform(-45, 45), uniform(0.3, 2.5), uniform(-0.7 * w, 0.7 * w),
                                    uniform(-0.7 * h, 0.7 * h), w, h));
    AffineCase general{"general", {}};
    for (double& v : general.a) v = uniform(-2.0, 2.0);
    general.a[2] *= w;
    general.a[5] *= h;
    cases.push_back(general);
  }
  for (double deg : {90.0, 180.0, -90.0, 30.0, 45.0}) cases.push_back(affine_rotation(deg, 1.0, 0, 0, w, h));
  return cases;
}

// Noise over the full 0..255 range (so bicubic overshoots and clamps often), or the smooth test
// picture with hard edges.
Image affine_source(int w, int h, int channels, uint32_t seed, bool noise) {
  if (!noise) return test::test_image(w, h, channels, seed);
  Image im = make_image(w, h, channels);
  std::mt19937 rng(seed);
  for (uint8_t& v : im.pixels) v = static_cast<uint8_t>(rng() % 4 == 0 ? (rng() % 2) * 255 : rng() % 256);
  return im;
}

TEST(AffineTransform, MatchesThePerPixelReferenceByteForByte) {
  const uint8_t fill[3] = {124, 116, 104};
  const int sizes[][2] = {{1, 1}, {2, 3}, {3, 2}, {4, 4}, {5, 7}, {7, 5}, {6, 6}, {16, 9}, {37, 29}, {64, 48}};
  long compared = 0;
  int failures = 0;
  uint32_t seed = 1;
  for (const auto& size : sizes)
    for (int channels : {1, 3})
      for (bool noise : {true, false}) {
        const int w = size[0], h = size[1];
        const Image im = affine_source(w, h, channels, seed, noise);
        for (const AffineCase& c : affine_cases(w, h, seed++))
          for (Filter f : {Filter::Bilinear, Filter::Bicubic, Filter::Nearest}) {
            const Image ours = affine_transform(im, c.a, f, fill);
            const Image theirs = old_affine_transform(im, c.a, f, fill);
            ++compared;
            ASSERT_EQ(ours.pixels.size(), theirs.pixels.size());
            if (ours.pixels == theirs.pixels) continue;
            size_t k = 0;
            while (ours.pixels[k] == theirs.pixels[k]) ++k;
            ADD_FAILURE() << c.what << " {" << test::number(c.a[0]) << ", " << test::number(c.a[1]) << ", "
                          << test::number(c.a[2]) << ", " << test::number(c.a[3]) << ", " << test::number(c.a[4])
                          << ", " << test::number(c.a[5]) << "} filter " << static_cast<int>(f) << " on " << w << "x"
                          << h << "x" << channels << (noise ? " noise" : "") << ": first difference at byte " << k
                          << " (" << int(ours.pixels[k]) << " vs " << int(theirs.pixels[k]) << ")";
            if (++failures > 10) FAIL() << "too many failures";
          }
      }
  EXPECT_GT(compared, 6000);
}

TEST(AffineTransform, MatchesTheReferenceOnA224ImageAtRandAugmentMagnitudes) {
  const uint8_t fill[3] = {0, 200, 255};
  std::mt19937 rng(7);
  for (int channels : {1, 3}) {
    const Image im = test::test_image(224, 224, channels, 3);
    for (int i = 0; i < 8; ++i) {
      const double u = std::uniform_real_distribution<double>(-1.0, 1.0)(rng);
      const std::vector<AffineCase> cases = {affine_rotation(30 * u, 1.0, 0, 0, 224, 224),
                                             {"shear_x", {1, 0.3 * u, 0, 0, 1, 0}},
                                             {"shear_y", {1, 0, 0, 0.3 * u, 1, 0}},
                                             {"translate_x", {1, 0, 100 * u, 0, 1, 0}},
                                             {"translate_y", {1, 0, 0, 0, 1, 100 * u}}};
      for (const AffineCase& c : cases)
        for (Filter f : {Filter::Bilinear, Filter::Bicubic, Filter::Nearest})
          EXPECT_TRUE(affine_transform(im, c.a, f, fill).pixels == old_affine_transform(im, c.a, f, fill).pixels)
              << c.what << " " << test::number(u) << " filter " << static_cast<int>(f) << " channels " << channels;
    }
  }
}

}  // namespace
}  // namespace ms
