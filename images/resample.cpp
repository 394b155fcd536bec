// Pillow-exact resampling (see resample.h). The arithmetic below is deliberately the same sequence
// of float/double operations Pillow's libImaging/Resample.c and Geometry.c perform, since a single
// differently rounded weight changes output bytes: the box is float, weights are double, normalised
// weights become 22-bit integers, sums start at half an output unit and clip after the shift.
#include "images/resample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

// Fused multiply-adds would round weights differently from Pillow's build; keep them separate.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace ms {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS

double bilinear_weight(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

double bicubic_weight(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// For each output position along one axis: the first input index, the number of inputs, and their
// fixed-point weights (ksize slots per output).
struct Coefficients {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;
};

Coefficients precompute(int in_size, float in0, float in1, int out_size, Filter filter) {
  const double support_unit = filter == Filter::Bicubic ? 2.0 : 1.0;
  double (*weight)(double) = filter == Filter::Bicubic ? bicubic_weight : bilinear_weight;

  const double scale = static_cast<double>(in1 - in0) / out_size;  // float subtraction, as Pillow
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = support_unit * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(static_cast<size_t>(out_size));
  c.count.resize(static_cast<size_t>(out_size));
  c.weights.assign(static_cast<size_t>(out_size) * static_cast<size_t>(c.ksize), 0);
  std::vector<double> k(static_cast<size_t>(c.ksize));
  const double inv_filterscale = 1.0 / filterscale;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = static_cast<double>(in0) + (xx + 0.5) * scale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    if (xmax > c.ksize) xmax = c.ksize;  // cannot happen for valid boxes; keeps indexing in range
    if (xmax < 0) xmax = 0;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = weight((x + xmin - center + 0.5) * inv_filterscale);
      k[static_cast<size_t>(x)] = w;
      ww += w;
    }
    int32_t* out = &c.weights[static_cast<size_t>(xx) * static_cast<size_t>(c.ksize)];
    for (int x = 0; x < xmax; ++x) {
      double v = k[static_cast<size_t>(x)];
      if (ww != 0.0) v /= ww;
      out[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                     : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.first[static_cast<size_t>(xx)] = xmin;
    c.count[static_cast<size_t>(xx)] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t sum) {
  const int32_t v = sum >> kPrecisionBits;  // arithmetic shift, as Pillow's lookup table index
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Rows [row0, row0 + out.height) of `in`, resampled horizontally into `out`.
void horizontal_pass(const Image& in, int row0, const Coefficients& c, Image& out) {
  const int channels = in.channels;
  for (int yy = 0; yy < out.height; ++yy) {
    const uint8_t* src = in.row(yy + row0);
    uint8_t* dst = out.row(yy);
    for (int xx = 0; xx < out.width; ++xx) {
      const int32_t* k = &c.weights[static_cast<size_t>(xx) * static_cast<size_t>(c.ksize)];
      const uint8_t* s = src + static_cast<size_t>(c.first[static_cast<size_t>(xx)]) * channels;
      const int n = c.count[static_cast<size_t>(xx)];
      if (channels == 3) {
        int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
        for (int x = 0; x < n; ++x, s += 3) {
          s0 += s[0] * k[x];
          s1 += s[1] * k[x];
          s2 += s[2] * k[x];
        }
        dst[xx * 3 + 0] = clip8(s0);
        dst[xx * 3 + 1] = clip8(s1);
        dst[xx * 3 + 2] = clip8(s2);
      } else {
        int32_t s0 = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < n; ++x) s0 += s[x] * k[x];
        dst[xx] = clip8(s0);
      }
    }
  }
}

// `in` resampled vertically into `out`; the coefficients' first rows are offset by -row_shift.
void vertical_pass(const Image& in, int row_shift, const Coefficients& c, Image& out) {
  const size_t row_bytes = out.row_bytes();
  std::vector<int32_t> sums(row_bytes);
  for (int yy = 0; yy < out.height; ++yy) {
    const int32_t* k = &c.weights[static_cast<size_t>(yy) * static_cast<size_t>(c.ksize)];
    const int first = c.first[static_cast<size_t>(yy)] - row_shift;
    const int n = c.count[static_cast<size_t>(yy)];
    std::fill(sums.begin(), sums.end(), 1 << (kPrecisionBits - 1));
    for (int y = 0; y < n; ++y) {
      const uint8_t* src = in.row(first + y);
      const int32_t w = k[y];
      for (size_t i = 0; i < row_bytes; ++i) sums[i] += src[i] * w;
    }
    uint8_t* dst = out.row(yy);
    for (size_t i = 0; i < row_bytes; ++i) dst[i] = clip8(sums[i]);
  }
}

Image crop_rows_cols(const Image& image, int left, int top, int width, int height) {
  Image out = make_image(width, height, image.channels);
  for (int y = 0; y < height; ++y)
    std::memcpy(out.row(y), image.row(top + y) + static_cast<size_t>(left) * image.channels, out.row_bytes());
  return out;
}

// Pillow's ImagingScaleAffine with fill: source coordinates advance by repeated double additions.
Image resize_nearest(const Image& image, int width, int height, const float box[4]) {
  Image out = make_image(width, height, image.channels);
  const double a0 = static_cast<double>(box[2] - box[0]) / width;
  const double a4 = static_cast<double>(box[3] - box[1]) / height;
  auto coord = [](double v) { return v < 0.0 ? -1 : static_cast<int>(v); };
  std::vector<int> xin(static_cast<size_t>(width), -1);
  double xo = box[0] + a0 * 0.5;
  for (int x = 0; x < width; ++x, xo += a0) {
    const int xi = coord(xo);
    if (xi >= 0 && xi < image.width) xin[static_cast<size_t>(x)] = xi;
  }
  const int channels = image.channels;
  double yo = box[1] + a4 * 0.5;
  for (int y = 0; y < height; ++y, yo += a4) {
    const int yi = coord(yo);
    if (yi < 0 || yi >= image.height) continue;  // stays zero, as Pillow's fill
    const uint8_t* src = image.row(yi);
    uint8_t* dst = out.row(y);
    for (int x = 0; x < width; ++x) {
      const int xi = xin[static_cast<size_t>(x)];
      if (xi < 0) continue;
      std::memcpy(dst + static_cast<size_t>(x) * channels, src + static_cast<size_t>(xi) * channels,
                  static_cast<size_t>(channels));
    }
  }
  return out;
}

void check_image(const Image& image) {
  if (image.channels != 1 && image.channels != 3)
    throw std::invalid_argument("resize takes 1- or 3-channel images, not " + std::to_string(image.channels));
  if (image.width < 1 || image.height < 1 ||
      image.pixels.size() != image.row_bytes() * static_cast<size_t>(image.height))
    throw std::invalid_argument("resize: image buffer does not match its size");
}

void check_size(int width, int height) {
  if (const std::string problem = image_size_problem(width, height); !problem.empty())
    throw std::invalid_argument("resize: output " + problem);
}

Image resize_float_box(const Image& image, int width, int height, Filter filter, const float box[4]) {
  if (!(box[0] >= 0) || !(box[1] >= 0)) throw std::invalid_argument("resize: box offset can't be negative");
  if (!(box[2] <= image.width) || !(box[3] <= image.height))
    throw std::invalid_argument("resize: box can't exceed the image size");
  if (!(box[2] - box[0] >= 0) || !(box[3] - box[1] >= 0)) throw std::invalid_argument("resize: box can't be empty");

  // Pillow: an integral box exactly the output size is a plain crop.
  if (box[0] - static_cast<int>(box[0]) == 0 && box[2] - box[0] == static_cast<float>(width) &&
      box[1] - static_cast<int>(box[1]) == 0 && box[3] - box[1] == static_cast<float>(height))
    return crop_rows_cols(image, static_cast<int>(box[0]), static_cast<int>(box[1]), width, height);
  if (filter == Filter::Nearest) return resize_nearest(image, width, height, box);

  const bool need_horizontal = width != image.width || box[0] != 0 || box[2] != static_cast<float>(width);
  const bool need_vertical = height != image.height || box[1] != 0 || box[3] != static_cast<float>(height);
  const Coefficients horizontal = precompute(image.width, box[0], box[2], width, filter);
  const Coefficients vertical = precompute(image.height, box[1], box[3], height, filter);

  // Only the source rows the vertical pass reads go through the horizontal pass.
  const int first_row = vertical.first.front();
  const int last_row = vertical.first.back() + vertical.count.back();
  if (need_horizontal) {
    Image temp = make_image(width, last_row - first_row, image.channels);  // every output row reads >= 1 row
    horizontal_pass(image, first_row, horizontal, temp);
    if (!need_vertical) return temp;
    Image out = make_image(width, height, image.channels);
    vertical_pass(temp, first_row, vertical, out);
    return out;
  }
  if (!need_vertical) return image;
  Image out = make_image(image.width, height, image.channels);
  vertical_pass(image, 0, vertical, out);
  return out;
}

}  // namespace

Image resize(const Image& image, int width, int height, Filter filter) {
  check_image(image);
  check_size(width, height);
  if (width == image.width && height == image.height) return image;
  const float box[4] = {0.0f, 0.0f, static_cast<float>(image.width), static_cast<float>(image.height)};
  return resize_float_box(image, width, height, filter, box);
}

Image resize(const Image& image, int width, int height, Filter filter, const ResizeBox& box) {
  check_image(image);
  check_size(width, height);
  if (width == image.width && height == image.height && box.left == 0 && box.top == 0 && box.right == image.width &&
      box.bottom == image.height)
    return image;
  const float fbox[4] = {static_cast<float>(box.left), static_cast<float>(box.top), static_cast<float>(box.right),
                         static_cast<float>(box.bottom)};
  return resize_float_box(image, width, height, filter, fbox);
}

}  // namespace ms
