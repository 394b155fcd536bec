// Pillow 9.4's affine transform and quarter turns (see affine_transform.h), transcribed from
// libImaging/Geometry.c with its float steps, truncations and clips; pixels whose whole source
// neighbourhood is inside the image take a clip-free path with the same double arithmetic.
#include "images/affine_transform.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace ms {
namespace {

// ---- Geometry (Geometry.c): Pillow's COORD and FLOOR, and the per-pixel source filters. ----

int coord(double v) { return v < 0.0 ? -1 : static_cast<int>(v); }
int floor_int(double v) { return v < 0.0 ? static_cast<int>(std::floor(v)) : static_cast<int>(v); }

struct Sampler {
  const Image& im;
  int clip_x(int x) const { return x < 0 ? 0 : x < im.width ? x : im.width - 1; }
  int clip_y(int y) const { return y < 0 ? 0 : y < im.height ? y : im.height - 1; }
  bool row_ok(int y) const { return y >= 0 && y < im.height; }
  uint8_t px(int x, int y, int c) const { return im.at(x, y, c); }

  // bilinear_filter8 / bilinear_filter32RGB.
  bool bilinear(double xin, double yin, uint8_t* out) const {
    if (xin < 0.0 || xin >= im.width || yin < 0.0 || yin >= im.height) return false;
    xin -= 0.5;
    yin -= 0.5;
    const int x = floor_int(xin), y = floor_int(yin);
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

  // Pillow's BICUBIC macro (a = -0.5 cubic in Horner form), operation for operation.
  static double cubic(double v1, double v2, double v3, double v4, double d) {
    const double p1 = v2;
    const double p2 = -v1 + v3;
    const double p3 = 2 * (v1 - v2) + v3 - v4;
    const double p4 = -v1 + v2 - v3 + v4;
    return p1 + d * (p2 + d * (p3 + d * p4));
  }
  // The first (horizontal) pass on UINT8 samples: Pillow's p2..p4 are int arithmetic there, exact
  // in doubles too.
  double cubic_row(int y, const int xs[4], int c, double dx) const {
    return cubic(px(xs[0], y, c), px(xs[1], y, c), px(xs[2], y, c), px(xs[3], y, c), dx);
  }

  // bicubic_filter8 / bicubic_filter32RGB.
  bool bicubic(double xin, double yin, uint8_t* out) const {
    if (xin < 0.0 || xin >= im.width || yin < 0.0 || yin >= im.height) return false;
    xin -= 0.5;
    yin -= 0.5;
    int x = floor_int(xin), y = floor_int(yin);
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

// The same filters for C channels (1 or 3) where the whole source neighbourhood (2×2 bilinear, 4×4
// bicubic) lies inside the image, so no coordinate is clipped and no row falls back: direct row
// pointers, the channel loop unrolled, and every floating-point step exactly as in Sampler (the
// neighbourhood test only decides which of the two computes a pixel, never its value). A pixel
// near the edges goes to Sampler unchanged.
template <int C>
struct InteriorSampler {
  const Image& im;
  const Sampler edge{im};
  const size_t stride = im.row_bytes();

  void bilinear(double xin, double yin, uint8_t* out) const {
    const double xs = xin - 0.5, ys = yin - 0.5;
    // floor_int of a non-negative value is the truncation; x + 1 and y + 1 must be inside too.
    if (!(xs >= 0.0 && ys >= 0.0)) {
      edge.bilinear(xin, yin, out);
      return;
    }
    const int x = static_cast<int>(xs), y = static_cast<int>(ys);
    if (x >= im.width - 1 || y >= im.height - 1) {
      edge.bilinear(xin, yin, out);
      return;
    }
    const double dx = xs - x, dy = ys - y;
    const uint8_t* r0 = im.row(y) + static_cast<size_t>(x) * C;
    const uint8_t* r1 = r0 + stride;
    for (int c = 0; c < C; ++c) {
      double v1 = r0[c] + (r0[C + c] - r0[c]) * dx;
      const double v2 = r1[c] + (r1[C + c] - r1[c]) * dx;
      v1 = v1 + (v2 - v1) * dy;
      out[c] = static_cast<uint8_t>(v1);
    }
  }

  void bicubic(double xin, double yin, uint8_t* out) const {
    const double xs = xin - 0.5, ys = yin - 0.5;
    // Columns x - 1 .. x + 2 and rows y - 1 .. y + 2 inside: x, y >= 1 (so xs, ys >= 1.0, where
    // floor_int truncates) and x + 2 <= width - 1, y + 2 <= height - 1.
    if (!(xs >= 1.0 && ys >= 1.0)) {
      edge.bicubic(xin, yin, out);
      return;
    }
    const int x = static_cast<int>(xs), y = static_cast<int>(ys);
    if (x + 2 >= im.width || y + 2 >= im.height) {
      edge.bicubic(xin, yin, out);
      return;
    }
    const double dx = xs - x, dy = ys - y;
    const uint8_t* r0 = im.row(y - 1) + static_cast<size_t>(x - 1) * C;
    for (int c = 0; c < C; ++c) {
      // The horizontal passes of the four rows. Sampler::cubic's p1..p4 on bytes are small
      // integers, exact in int as in double (so computed in int); the Horner steps are its own.
      int p[4][4];  // p[i][k]: p(i+1) of row k
      for (int k = 0; k < 4; ++k) {
        const uint8_t* r = r0 + k * stride + c;
        const int q1 = r[0], q2 = r[C], q3 = r[2 * C], q4 = r[3 * C];
        p[0][k] = q2;
        p[1][k] = -q1 + q3;
        p[2][k] = 2 * (q1 - q2) + q3 - q4;
        p[3][k] = -q1 + q2 - q3 + q4;
      }
      double v[4];
      for (int k = 0; k < 4; ++k) {
        const double p1 = p[0][k], p2 = p[1][k], p3 = p[2][k], p4 = p[3][k];
        v[k] = p1 + dx * (p2 + dx * (p3 + dx * p4));
      }
      const double s = Sampler::cubic(v[0], v[1], v[2], v[3], dy);
      // Branch-free clamp (the same bytes as Sampler's: 0 at or below 0, 255 at or above 255).
      out[c] = static_cast<uint8_t>(std::min(std::max(s, 0.0), 255.0));
    }
  }
};

// The generic transform's pixel loop (ImagingGenericTransform with affine_transform's coordinates):
// positions outside the input keep `fill`, already in `out`.
template <typename S>
void transform_pixels(const S& s, const double a[6], Filter filter, Image& out) {
  const int w = out.width, h = out.height;
  const size_t channels = static_cast<size_t>(out.channels);
  for (int y = 0; y < h; ++y) {
    uint8_t* o = out.row(y);
    for (int x = 0; x < w; ++x, o += channels) {
      const double xin = x + 0.5, yin = y + 0.5;
      const double xx = a[0] * xin + a[1] * yin + a[2];
      const double yy = a[3] * xin + a[4] * yin + a[5];
      if (xx < 0.0 || xx >= w || yy < 0.0 || yy >= h) continue;  // the filters' own test, first
      if (filter == Filter::Bilinear)
        s.bilinear(xx, yy, o);
      else
        s.bicubic(xx, yy, o);
    }
  }
}

// The output prefilled with `fill`: the first row pixel by pixel, then copied to the others.
Image filled(const Image& image, const uint8_t fill[3]) {
  Image out = make_image(image.width, image.height, image.channels);
  const size_t channels = static_cast<size_t>(image.channels), row_bytes = out.row_bytes();
  uint8_t* first = out.row(0);
  for (size_t i = 0; i < row_bytes; i += channels) std::memcpy(first + i, fill, channels);
  for (int y = 1; y < image.height; ++y) std::memcpy(out.row(y), first, row_bytes);
  return out;
}

void copy_pixel(const Image& from, int fx, int fy, Image& to, int tx, int ty) {
  const size_t channels = static_cast<size_t>(from.channels);
  std::memcpy(to.row(ty) + tx * channels, from.row(fy) + fx * channels, channels);
}

}  // namespace

// ImagingTransformAffine for an output the size of the input, prefilled with `fill` (Pillow's
// Image.new(mode, size, fillcolor) before transform2 with fill=0): the generic per-pixel transform for
// bilinear and bicubic, and for nearest the scale-only, 16.16 fixed-point or floating-point loops.
Image affine_transform(const Image& im, const double a[6], Filter filter, const uint8_t fill[3]) {
  Image out = filled(im, fill);
  const int w = im.width, h = im.height;
  if (filter != Filter::Nearest) {
    if (im.channels == 3)
      transform_pixels(InteriorSampler<3>{im}, a, filter, out);
    else if (im.channels == 1)
      transform_pixels(InteriorSampler<1>{im}, a, filter, out);
    else
      transform_pixels(Sampler{im}, a, filter, out);
    return out;
  }

  if (a[1] == 0 && a[3] == 0) {  // ImagingScaleAffine
    std::vector<int> xintab(static_cast<size_t>(w), 0);
    double xo = a[2] + a[0] * 0.5, yo = a[5] + a[4] * 0.5;
    int xmin = w, xmax = 0;
    for (int x = 0; x < w; ++x) {
      const int xin = coord(xo);
      if (xin >= 0 && xin < w) {
        xmax = x + 1;
        if (x < xmin) xmin = x;
        xintab[static_cast<size_t>(x)] = xin;
      }
      xo += a[0];
    }
    for (int y = 0; y < h; ++y) {
      const int yi = coord(yo);
      if (yi >= 0 && yi < h)
        for (int x = xmin; x < xmax; ++x) copy_pixel(im, xintab[static_cast<size_t>(x)], yi, out, x, y);
      yo += a[4];
    }
    return out;
  }

  auto check_fixed = [&](int x, int y) {
    return std::fabs(x * a[0] + y * a[1] + a[2]) < 32768.0 && std::fabs(x * a[3] + y * a[4] + a[5]) < 32768.0;
  };
  if (check_fixed(0, 0) && check_fixed(w, h) && check_fixed(0, h) && check_fixed(w, 0)) {  // affine_fixed
    auto fix = [](double v) { return floor_int(v * 65536.0 + 0.5); };
    const int a0 = fix(a[0]), a1 = fix(a[1]), a3 = fix(a[3]), a4 = fix(a[4]);
    int a2 = fix(a[2] + a[0] * 0.5 + a[1] * 0.5), a5 = fix(a[5] + a[3] * 0.5 + a[4] * 0.5);
    for (int y = 0; y < h; ++y) {
      int xx = a2, yy = a5;
      for (int x = 0; x < w; ++x) {
        const int xin = xx >> 16;  // arithmetic shift: floor, as in Pillow
        if (xin >= 0 && xin < w) {
          const int yin = yy >> 16;
          if (yin >= 0 && yin < h) copy_pixel(im, xin, yin, out, x, y);
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
      const int xin = coord(xx);
      if (xin >= 0 && xin < w) {
        const int yin = coord(yy);
        if (yin >= 0 && yin < h) copy_pixel(im, xin, yin, out, x, y);
      }
      xx += a[0];
      yy += a[3];
    }
    xo += a[1];
    yo += a[4];
  }
  return out;
}

// Transpose.ROTATE_90 / ROTATE_180 / ROTATE_270 (counter-clockwise quarter turns).
Image quarter_turns(const Image& im, int turns) {
  const int w = im.width, h = im.height;
  Image out = make_image(turns == 2 ? w : h, turns == 2 ? h : w, im.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      if (turns == 1)
        copy_pixel(im, w - 1 - y, x, out, x, y);
      else if (turns == 2)
        copy_pixel(im, w - 1 - x, h - 1 - y, out, x, y);
      else
        copy_pixel(im, y, h - 1 - x, out, x, y);
    }
  return out;
}

}  // namespace ms
