// Crops, flips and torchvision-compatible geometric transforms (see geometry.h).
#include "images/geometry.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ms {
namespace {

std::string size_text(int width, int height) { return std::to_string(width) + "x" + std::to_string(height); }

// Python's int(round(x)) for the values these transforms produce: ties go to the even integer.
int python_round(double x) { return static_cast<int>(std::nearbyint(x)); }

// A width × height window at (left, top) that may extend past the image; outside pixels are zero.
Image crop_zero_filled(const Image& image, int left, int top, int width, int height) {
  Image out = make_image(width, height, image.channels, 0);
  const int x0 = std::max(left, 0), x1 = std::min(left + width, image.width);
  if (x1 <= x0) return out;
  const size_t channels = static_cast<size_t>(image.channels);
  for (int y = std::max(top, 0); y < std::min(top + height, image.height); ++y)
    std::memcpy(out.row(y - top) + static_cast<size_t>(x0 - left) * channels, image.row(y) + x0 * channels,
                static_cast<size_t>(x1 - x0) * channels);
  return out;
}

}  // namespace

Image crop(const Image& image, int left, int top, int width, int height) {
  if (width < 1 || height < 1 || left < 0 || top < 0 || left > image.width - width || top > image.height - height)
    throw std::out_of_range("crop " + size_text(width, height) + " at (" + std::to_string(left) + ", " +
                            std::to_string(top) + ") is not inside the " + size_text(image.width, image.height) +
                            " image");
  return crop_zero_filled(image, left, top, width, height);
}

Image hflip(const Image& image) {
  Image out = make_image(image.width, image.height, image.channels);
  const size_t channels = static_cast<size_t>(image.channels);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* src = image.row(y);
    uint8_t* dst = out.row(y) + (static_cast<size_t>(image.width) - 1) * channels;
    for (int x = 0; x < image.width; ++x, src += channels, dst -= channels) std::memcpy(dst, src, channels);
  }
  return out;
}

CropRect center_crop_rect(int image_width, int image_height, int crop_width, int crop_height) {
  if (image_width < 1 || image_height < 1 || crop_width < 1 || crop_height < 1)
    throw std::invalid_argument("center crop " + size_text(crop_width, crop_height) + " of a " +
                                size_text(image_width, image_height) + " image");
  auto place = [](int image_side, int crop_side) {
    // Larger crop: torchvision pads floor((c - s) / 2) before, then the padded side equals the crop.
    if (crop_side > image_side) return -((crop_side - image_side) / 2);
    return python_round((image_side - crop_side) / 2.0);
  };
  CropRect r;
  r.top = place(image_height, crop_height);
  r.left = place(image_width, crop_width);
  r.height = crop_height, r.width = crop_width;
  return r;
}

Image center_crop(const Image& image, int width, int height) {
  const CropRect r = center_crop_rect(image.width, image.height, width, height);
  return crop_zero_filled(image, r.left, r.top, r.width, r.height);
}

Size resize_shorter_size(int width, int height, int shorter) {
  if (width < 1 || height < 1 || shorter < 1)
    throw std::invalid_argument("resize " + size_text(width, height) + " to shorter side " + std::to_string(shorter));
  const int short_side = std::min(width, height), long_side = std::max(width, height);
  if (short_side == shorter) return {width, height};
  // Python: int(shorter * long / short), the product exact, the quotient correctly rounded.
  const long long product = static_cast<long long>(shorter) * long_side;
  const int new_long = static_cast<int>(static_cast<double>(product) / short_side);
  return width <= height ? Size{shorter, new_long} : Size{new_long, shorter};
}

Image resize_shorter(const Image& image, int shorter, Filter filter) {
  const Size s = resize_shorter_size(image.width, image.height, shorter);
  return resize(image, s.width, s.height, filter);
}

int eval_resize_size(int crop_size, double crop_pct) {
  if (crop_size < 1 || !(crop_pct > 0.0) || !(crop_pct <= 1.0))
    throw std::invalid_argument("eval crop " + std::to_string(crop_size) + " at crop_pct " + std::to_string(crop_pct));
  return static_cast<int>(std::floor(crop_size / crop_pct));
}

Image eval_transform(const Image& image, int crop_size, double crop_pct, Filter filter) {
  const Image resized = resize_shorter(image, eval_resize_size(crop_size, crop_pct), filter);
  return center_crop(resized, crop_size, crop_size);
}

CropRect random_resized_crop_params(int image_width, int image_height, const std::function<double()>& uniform01,
                                    const RandomResizedCropOptions& o) {
  if (image_width < 1 || image_height < 1)
    throw std::invalid_argument("random resized crop of a " + size_text(image_width, image_height) + " image");
  // A scale of 0 is torchvision's too: a draw that rounds to an empty side is another attempt.
  if (!(o.scale_min >= 0.0) || !(o.scale_min <= o.scale_max) || !(o.ratio_min > 0.0) || !(o.ratio_min <= o.ratio_max))
    throw std::invalid_argument("random resized crop needs 0 <= scale_min <= scale_max and 0 < ratio_min <= ratio_max");
  const double width = image_width, height = image_height;
  const double area = width * height;
  // torch: log_ratio = torch.log(torch.tensor(ratio)) is float32; samples are float32 uniforms.
  const float log_lo = static_cast<float>(std::log(static_cast<double>(static_cast<float>(o.ratio_min))));
  const float log_hi = static_cast<float>(std::log(static_cast<double>(static_cast<float>(o.ratio_max))));
  const float scale_lo = static_cast<float>(o.scale_min), scale_hi = static_cast<float>(o.scale_max);
  auto randint = [&](int n) {  // uniform in [0, n)
    const int v = static_cast<int>(uniform01() * n);
    return std::min(std::max(v, 0), n - 1);
  };
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double u_scale = uniform01();
    const double u_ratio = uniform01();
    const float fraction = static_cast<float>(scale_lo + (scale_hi - static_cast<double>(scale_lo)) * u_scale);
    const float log_ratio = static_cast<float>(log_lo + (log_hi - static_cast<double>(log_lo)) * u_ratio);
    const double target_area = area * static_cast<double>(fraction);
    const double aspect = static_cast<float>(std::exp(static_cast<double>(log_ratio)));
    const int w = python_round(std::sqrt(target_area * aspect));
    const int h = python_round(std::sqrt(target_area / aspect));
    if (0 < w && w <= image_width && 0 < h && h <= image_height) {
      CropRect r;
      r.height = h, r.width = w;
      r.top = randint(image_height - h + 1);
      r.left = randint(image_width - w + 1);
      return r;
    }
  }
  // Fallback to the central crop.
  const double in_ratio = width / height;
  CropRect r;
  if (in_ratio < o.ratio_min) {
    r.width = image_width;
    r.height = python_round(r.width / o.ratio_min);
  } else if (in_ratio > o.ratio_max) {
    r.height = image_height;
    r.width = python_round(r.height * o.ratio_max);
  } else {
    r.width = image_width;
    r.height = image_height;
  }
  r.top = (image_height - r.height) / 2;
  r.left = (image_width - r.width) / 2;
  return r;
}

CropRect random_resized_crop_params(int image_width, int image_height, std::mt19937_64& rng,
                                    const RandomResizedCropOptions& options) {
  return random_resized_crop_params(
      image_width, image_height, [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }, options);
}

Image resized_crop(const Image& image, const CropRect& rect, int width, int height, Filter filter) {
  return resize(crop(image, rect), width, height, filter);
}

}  // namespace ms
