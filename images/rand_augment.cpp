// timm's RandAugment and its fifteen Pillow 9.4 operations (see rand_augment.h). The arithmetic is
// transcribed from Pillow 9.4's C code (libImaging/Geometry.c, Filter.c, Blend.c, Convert.c) and its
// Python (ImageOps, ImageEnhance, Image.rotate), including its float32 steps, truncations and clips.
#include "images/rand_augment.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "images/affine_transform.h"

namespace ms {
namespace {

using Lut = std::array<std::array<uint8_t, 256>, 3>;  // one table per channel
using Histogram = std::array<std::array<int64_t, 256>, 3>;

void check_image(const Image& image, const char* op) {
  if ((image.channels != 1 && image.channels != 3) || image.width < 1 || image.height < 1 ||
      image.pixels.size() != image.row_bytes() * static_cast<size_t>(image.height))
    throw std::invalid_argument(std::string(op) + ": expected a non-empty 1- or 3-channel image, got " +
                                std::to_string(image.width) + "x" + std::to_string(image.height) + "x" +
                                std::to_string(image.channels));
}

// Pillow's getlist(..., TYPE_UINT8): LUT entries are clipped into 0..255.
uint8_t clip8(int64_t v) { return static_cast<uint8_t>(std::min<int64_t>(255, std::max<int64_t>(0, v))); }

Image apply_lut(const Image& image, const Lut& lut) {
  Image out = make_image(image.width, image.height, image.channels);
  const size_t channels = static_cast<size_t>(image.channels), n = image.pixels.size();
  for (size_t i = 0; i < n; ++i) out.pixels[i] = lut[i % channels][image.pixels[i]];
  return out;
}

Image apply_lut(const Image& image, const std::array<uint8_t, 256>& one) {
  return apply_lut(image, Lut{one, one, one});
}

Histogram histogram(const Image& image) {
  Histogram h{};
  const size_t channels = static_cast<size_t>(image.channels), n = image.pixels.size();
  for (size_t i = 0; i < n; ++i) ++h[i % channels][image.pixels[i]];
  return h;
}

// Pillow's RGB → L: ITU-R 601-2 in 16-bit fixed point (Convert.c L24).
uint8_t luma(const uint8_t* rgb) {
  return static_cast<uint8_t>((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
}

// Image.blend(degenerate, image, alpha) (Blend.c): alpha is a float32; inside [0, 1] the float result
// is truncated, outside it is clipped first.
Image blend(const Image& degenerate, const Image& image, double factor) {
  const float alpha = static_cast<float>(factor);
  if (alpha == 0.0f) return degenerate;
  if (alpha == 1.0f) return image;
  Image out = make_image(image.width, image.height, image.channels);
  const size_t n = image.pixels.size();
  const bool inside = alpha >= 0 && alpha <= 1.0f;
  for (size_t i = 0; i < n; ++i) {
    const int in1 = degenerate.pixels[i], in2 = image.pixels[i];
    const float v = static_cast<float>(in1) + alpha * static_cast<float>(in2 - in1);
    if (inside)
      out.pixels[i] = static_cast<uint8_t>(v);
    else
      out.pixels[i] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : static_cast<uint8_t>(v);
  }
  return out;
}

// Python's float `x % m` (the result takes the sign of m).
double python_mod(double x, double m) {
  double r = std::fmod(x, m);
  if (r != 0) {
    if ((m < 0) != (r < 0)) r += m;
  } else {
    r = std::copysign(0.0, m);
  }
  return r;
}

// Python's round(x, 15): correctly rounded to 15 decimals, as glibc's printf also rounds.
double round15(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15f", x);
  return std::strtod(buf, nullptr);
}

}  // namespace

// ---- Lookup-table operations (ImageOps). ----

Image auto_contrast(const Image& image) {
  check_image(image, "auto_contrast");
  const Histogram h = histogram(image);
  Lut lut{};
  for (int c = 0; c < image.channels; ++c) {
    int lo = 0, hi = 255;
    while (lo < 255 && h[c][lo] == 0) ++lo;
    while (hi > 0 && h[c][hi] == 0) --hi;
    for (int i = 0; i < 256; ++i) lut[c][i] = static_cast<uint8_t>(i);
    if (hi <= lo) continue;
    const double scale = 255.0 / (hi - lo);
    const double offset = -lo * scale;
    for (int i = 0; i < 256; ++i) {
      const double v = i * scale + offset;
      lut[c][i] = clip8(static_cast<int64_t>(v));  // int() truncates towards zero, then 0..255
    }
  }
  return apply_lut(image, lut);
}

Image equalize(const Image& image) {
  check_image(image, "equalize");
  const Histogram h = histogram(image);
  Lut lut{};
  for (int c = 0; c < image.channels; ++c) {
    for (int i = 0; i < 256; ++i) lut[c][i] = static_cast<uint8_t>(i);
    int64_t total = 0, last = 0;
    int nonzero = 0;
    for (int i = 0; i < 256; ++i)
      if (h[c][i]) total += h[c][i], last = h[c][i], ++nonzero;
    if (nonzero <= 1) continue;
    const int64_t step = (total - last) / 255;
    if (step == 0) continue;
    int64_t n = step / 2;
    for (int i = 0; i < 256; ++i) {
      lut[c][i] = clip8(n / step);  // can exceed 255 at the top; Pillow's LUT clips
      n += h[c][i];
    }
  }
  return apply_lut(image, lut);
}

Image invert(const Image& image) {
  check_image(image, "invert");
  std::array<uint8_t, 256> lut{};
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(255 - i);
  return apply_lut(image, lut);
}

Image posterize(const Image& image, int bits) {
  check_image(image, "posterize");
  if (bits >= 8) return image;
  const int mask = bits <= 0 ? 0 : ~((1 << (8 - bits)) - 1);
  std::array<uint8_t, 256> lut{};
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i & mask);
  return apply_lut(image, lut);
}

Image solarize(const Image& image, int threshold) {
  check_image(image, "solarize");
  std::array<uint8_t, 256> lut{};
  for (int i = 0; i < 256; ++i) lut[i] = static_cast<uint8_t>(i < threshold ? i : 255 - i);
  return apply_lut(image, lut);
}

Image solarize_add(const Image& image, int add, int threshold) {
  check_image(image, "solarize_add");
  std::array<uint8_t, 256> lut{};
  for (int i = 0; i < 256; ++i) lut[i] = i < threshold ? clip8(std::min<int64_t>(255, int64_t{i} + add)) : clip8(i);
  return apply_lut(image, lut);
}

// ---- ImageEnhance. ----

Image color(const Image& image, double factor) {
  check_image(image, "color");
  Image grey = image;
  if (image.channels == 3)
    for (size_t i = 0; i < image.pixels.size(); i += 3)
      grey.pixels[i] = grey.pixels[i + 1] = grey.pixels[i + 2] = luma(&image.pixels[i]);
  return blend(grey, image, factor);
}

Image contrast(const Image& image, double factor) {
  check_image(image, "contrast");
  // ImageStat.Stat(img.convert("L")).mean: a float sum over the histogram divided by the count.
  std::array<int64_t, 256> h{};
  if (image.channels == 3)
    for (size_t i = 0; i < image.pixels.size(); i += 3) ++h[luma(&image.pixels[i])];
  else
    for (uint8_t v : image.pixels) ++h[v];
  double sum = 0.0;
  int64_t count = 0;
  for (int j = 0; j < 256; ++j) sum += static_cast<double>(j * h[j]), count += h[j];
  const int mean = static_cast<int>(sum / static_cast<double>(count) + 0.5);
  return blend(make_image(image.width, image.height, image.channels, static_cast<uint8_t>(mean)), image, factor);
}

Image brightness(const Image& image, double factor) {
  check_image(image, "brightness");
  return blend(make_image(image.width, image.height, image.channels, 0), image, factor);
}

Image sharpness(const Image& image, double factor) {
  check_image(image, "sharpness");
  // ImageFilter.SMOOTH: 3×3 kernel (1 1 1 / 1 5 1 / 1 1 1) / 13 in float32 (Filter.c ImagingFilter3x3),
  // +0.5 and truncation; the outer rows and columns are copied; images under 3×3 are copied whole.
  Image smooth = image;
  const int w = image.width, h = image.height, channels = image.channels;
  if (w >= 3 && h >= 3) {
    const float k[9] = {1.0f / 13.0f, 1.0f / 13.0f, 1.0f / 13.0f, 1.0f / 13.0f, 5.0f / 13.0f,
                        1.0f / 13.0f, 1.0f / 13.0f, 1.0f / 13.0f, 1.0f / 13.0f};
    const float offset = 0.0f + 0.5f;
    auto row3 = [&](int y, int x, int c, const float* kk) {
      return static_cast<float>(image.at(x - 1, y, c)) * kk[0] + static_cast<float>(image.at(x, y, c)) * kk[1] +
             static_cast<float>(image.at(x + 1, y, c)) * kk[2];
    };
    for (int y = 1; y < h - 1; ++y)
      for (int x = 1; x < w - 1; ++x)
        for (int c = 0; c < channels; ++c) {
          float ss = offset;
          ss += row3(y + 1, x, c, &k[0]);
          ss += row3(y, x, c, &k[3]);
          ss += row3(y - 1, x, c, &k[6]);
          smooth.at(x, y, c) = ss <= 0.0f ? 0 : ss >= 255.0f ? 255 : static_cast<uint8_t>(ss);
        }
  }
  return blend(smooth, image, factor);
}

// ---- Geometry. ----

Image rotate(const Image& image, double degrees, Filter filter, const uint8_t fill[3]) {
  check_image(image, "rotate");
  const double angle = python_mod(degrees, 360.0);
  if (angle == 0) return image;
  if (angle == 180) return quarter_turns(image, 2);
  if ((angle == 90 || angle == 270) && image.width == image.height) return quarter_turns(image, angle == 90 ? 1 : 3);
  const double cx = image.width / 2.0, cy = image.height / 2.0;
  const double rad = -(angle * (M_PI / 180.0));
  double m[6] = {round15(std::cos(rad)),  round15(std::sin(rad)), 0.0,
                 round15(-std::sin(rad)), round15(std::cos(rad)), 0.0};
  const double x = -cx - 0, y = -cy - 0;
  const double c = m[0] * x + m[1] * y + m[2];
  const double f = m[3] * x + m[4] * y + m[5];
  m[2] = c + cx;
  m[5] = f + cy;
  return affine_transform(image, m, filter, fill);
}

Image shear_x(const Image& image, double factor, Filter filter, const uint8_t fill[3]) {
  check_image(image, "shear_x");
  const double a[6] = {1, factor, 0, 0, 1, 0};
  return affine_transform(image, a, filter, fill);
}

Image shear_y(const Image& image, double factor, Filter filter, const uint8_t fill[3]) {
  check_image(image, "shear_y");
  const double a[6] = {1, 0, 0, factor, 1, 0};
  return affine_transform(image, a, filter, fill);
}

Image translate_x(const Image& image, double pixels, Filter filter, const uint8_t fill[3]) {
  check_image(image, "translate_x");
  const double a[6] = {1, 0, pixels, 0, 1, 0};
  return affine_transform(image, a, filter, fill);
}

Image translate_y(const Image& image, double pixels, Filter filter, const uint8_t fill[3]) {
  check_image(image, "translate_y");
  const double a[6] = {1, 0, 0, 0, 1, pixels};
  return affine_transform(image, a, filter, fill);
}

// ---- The driver. ----

namespace {

enum class Op {
  AutoContrast,
  Equalize,
  Invert,
  Rotate,
  Posterize,
  Solarize,
  SolarizeAdd,
  Color,
  Contrast,
  Brightness,
  Sharpness,
  ShearX,
  ShearY,
  TranslateXRel,
  TranslateYRel
};
constexpr int kNumOps = 15;
constexpr double kLevelDenom = 10.0;  // timm's _LEVEL_DENOM

bool negates(Op op, bool increasing) {
  switch (op) {
    case Op::Rotate:
    case Op::ShearX:
    case Op::ShearY:
    case Op::TranslateXRel:
    case Op::TranslateYRel:
      return true;
    case Op::Color:
    case Op::Contrast:
    case Op::Brightness:
    case Op::Sharpness:
      return increasing;
    default:
      return false;
  }
}

// timm's LEVEL_TO_ARG for the op, with `negate` the outcome of _randomly_negate where it draws.
double level_to_arg(Op op, bool increasing, double level, bool negate) {
  const double sign = negate ? -1.0 : 1.0;
  switch (op) {
    case Op::Rotate:
      return sign * ((level / kLevelDenom) * 30.0);
    case Op::ShearX:
    case Op::ShearY:
      return sign * ((level / kLevelDenom) * 0.3);
    case Op::TranslateXRel:
    case Op::TranslateYRel:
      return sign * ((level / kLevelDenom) * 0.45);
    case Op::Posterize: {
      const int bits = static_cast<int>((level / kLevelDenom) * 4);
      return increasing ? 4 - bits : bits;
    }
    case Op::Solarize: {
      const int t = std::min(256, static_cast<int>((level / kLevelDenom) * 256));
      return increasing ? 256 - t : t;
    }
    case Op::SolarizeAdd:
      return std::min(128, static_cast<int>((level / kLevelDenom) * 110));  // timm clips at 128 (mmax > 11.6)
    case Op::Color:
    case Op::Contrast:
    case Op::Brightness:
    case Op::Sharpness:
      if (increasing) return std::max(0.1, 1.0 + sign * ((level / kLevelDenom) * 0.9));
      return (level / kLevelDenom) * 1.8 + 0.1;
    default:
      return 0;
  }
}

bool geometric(Op op) {
  return op == Op::Rotate || op == Op::ShearX || op == Op::ShearY || op == Op::TranslateXRel || op == Op::TranslateYRel;
}

Image apply_op(Op op, const Image& im, double arg, Filter filter, const RandAugmentParams& p) {
  switch (op) {
    case Op::AutoContrast:
      return auto_contrast(im);
    case Op::Equalize:
      return equalize(im);
    case Op::Invert:
      return invert(im);
    case Op::Rotate:
      return rotate(im, arg, filter, p.fill);
    case Op::Posterize:
      return posterize(im, static_cast<int>(arg));
    case Op::Solarize:
      return solarize(im, static_cast<int>(arg));
    case Op::SolarizeAdd:
      return solarize_add(im, static_cast<int>(arg));
    case Op::Color:
      return color(im, arg);
    case Op::Contrast:
      return contrast(im, arg);
    case Op::Brightness:
      return brightness(im, arg);
    case Op::Sharpness:
      return sharpness(im, arg);
    case Op::ShearX:
      return shear_x(im, arg, filter, p.fill);
    case Op::ShearY:
      return shear_y(im, arg, filter, p.fill);
    case Op::TranslateXRel:
      return translate_x(im, arg * im.width, filter, p.fill);
    case Op::TranslateYRel:
      return translate_y(im, arg * im.height, filter, p.fill);
  }
  return im;
}

}  // namespace

const std::vector<std::string>& rand_augment_op_names(bool increasing) {
  // _RAND_TRANSFORMS; _RAND_INCREASING_TRANSFORMS adds "Increasing" to Posterize .. Sharpness.
  static const auto make = [](bool inc) {
    std::vector<std::string> names = {"AutoContrast", "Equalize",    "Invert", "Rotate",        "Posterize",
                                      "Solarize",     "SolarizeAdd", "Color",  "Contrast",      "Brightness",
                                      "Sharpness",    "ShearX",      "ShearY", "TranslateXRel", "TranslateYRel"};
    if (inc)
      for (int op : {4, 5, 7, 8, 9, 10}) names[static_cast<size_t>(op)] += "Increasing";
    return names;
  };
  static const std::vector<std::string> plain = make(false), inc = make(true);
  return increasing ? inc : plain;
}

Image rand_augment(const Image& image, const RandAugmentParams& p, const std::function<double()>& uniform01,
                   std::vector<AppliedOp>* trace) {
  check_image(image, "rand_augment");
  if (p.num_ops < 0) throw std::invalid_argument("rand_augment: num_ops must be >= 0");
  if (trace) trace->clear();
  std::vector<Op> chosen;
  for (int i = 0; i < p.num_ops; ++i) {
    const int k = std::min(static_cast<int>(uniform01() * kNumOps), kNumOps - 1);
    chosen.push_back(static_cast<Op>(std::max(k, 0)));
  }
  const double upper = p.magnitude_max != 0 ? p.magnitude_max : kLevelDenom;  // timm: `magnitude_max or 10`
  Image out = image;
  for (Op op : chosen) {
    AppliedOp record;
    record.name = rand_augment_op_names(p.increasing)[static_cast<size_t>(op)];
    if (p.probability < 1.0 && uniform01() > p.probability) {
      if (trace) trace->push_back(record);
      continue;
    }
    double m = p.magnitude;
    if (p.magnitude_std > 0) {
      if (std::isinf(p.magnitude_std)) {
        m = 0 + (p.magnitude - 0) * uniform01();
      } else {
        const double u1 = uniform01(), u2 = uniform01();
        const double x2pi = u1 * (2.0 * M_PI);  // Python: random() * TWOPI
        const double z = std::cos(x2pi) * std::sqrt(-2.0 * std::log(1.0 - u2));
        m = p.magnitude + z * p.magnitude_std;
      }
    }
    m = std::max(0.0, std::min(m, upper));
    const bool negate = negates(op, p.increasing) && uniform01() > 0.5;
    const double arg = level_to_arg(op, p.increasing, m, negate);
    Filter filter = Filter::Nearest;
    if (geometric(op)) filter = !p.random_filter ? p.filter : uniform01() < 0.5 ? Filter::Bilinear : Filter::Bicubic;
    out = apply_op(op, out, arg, filter, p);
    record.applied = true;
    record.filter = filter;
    record.magnitude = m;
    record.argument = arg;
    if (trace) trace->push_back(record);
  }
  return out;
}

}  // namespace ms
