// Crops, flips and the torchvision 0.14 geometric transforms an ImageNet pipeline uses, on Image:
// CenterCrop, Resize(int) (shorter side), the evaluation "resize to crop/crop_pct, center crop",
// RandomResizedCrop's parameter sampling and resized_crop. Integer arithmetic and rounding follow
// torchvision's Python code (Python's round() is round-half-to-even); resizing is resample.h.
#pragma once
#include <cstdint>
#include <functional>
#include <random>

#include "images/image.h"
#include "images/resample.h"

namespace ms {

struct Size {
  int width = 0, height = 0;
};

// width × height pixels starting at (left, top). Throws std::out_of_range when the rectangle is
// empty or not inside the image.
Image crop(const Image& image, int left, int top, int width, int height);
inline Image crop(const Image& image, const CropRect& r) { return crop(image, r.left, r.top, r.width, r.height); }

// Mirror image left to right (Pillow's FLIP_LEFT_RIGHT, torchvision's hflip).
Image hflip(const Image& image);

// torchvision's CenterCrop placement: top = round((H - h) / 2), left = round((W - w) / 2) with
// Python's rounding; a crop larger than the image along a side is centred by zero padding, which
// shows up here as a negative offset of floor((h - H) / 2).
CropRect center_crop_rect(int image_width, int image_height, int crop_width, int crop_height);

// torchvision's CenterCrop: the rectangle above, pixels outside the image are zero.
Image center_crop(const Image& image, int width, int height);

// torchvision's Resize(shorter) output size: the shorter side becomes `shorter`, the longer side
// int(shorter * long / short) (truncated), the image is returned as is when short == shorter.
Size resize_shorter_size(int width, int height, int shorter);
Image resize_shorter(const Image& image, int shorter, Filter filter);

// The evaluation resize size for a crop: floor(crop / crop_pct) (timm/MetaFormer; 224 at 0.9 → 248).
int eval_resize_size(int crop_size, double crop_pct = 0.9);
// Resize(eval_resize_size(crop, crop_pct), filter) then CenterCrop(crop).
Image eval_transform(const Image& image, int crop_size, double crop_pct = 0.9, Filter filter = Filter::Bicubic);

struct RandomResizedCropOptions {
  double scale_min = 0.08, scale_max = 1.0;             // fraction of the image area
  double ratio_min = 3.0 / 4.0, ratio_max = 4.0 / 3.0;  // width / height, sampled uniformly in log space
};

// RandomResizedCrop.get_params of torchvision 0.14: up to 10 attempts of (area fraction uniform in
// [scale_min, scale_max), log aspect uniform in [log ratio_min, log ratio_max)), w and h rounded,
// accepted when 0 < w <= W and 0 < h <= H, then a uniform position; else the central crop of the
// whole image with its aspect clamped into the ratio range. As in torch, the area fraction and the
// log ratio are float32 samples. `uniform01` supplies every draw, in torchvision's order (fraction,
// log ratio per attempt, then top, then left), as a double in [0, 1). Throws std::invalid_argument for
// an empty image or inconsistent options.
CropRect random_resized_crop_params(int image_width, int image_height, const std::function<double()>& uniform01,
                                    const RandomResizedCropOptions& options = {});
// The same with draws from `rng` (53-bit uniforms: (rng() >> 11) * 2^-53), so a seed fixes the crops on
// every platform.
CropRect random_resized_crop_params(int image_width, int image_height, std::mt19937_64& rng,
                                    const RandomResizedCropOptions& options = {});

// torchvision's resized_crop: crop the rectangle, then resize it (pixels outside it never contribute).
Image resized_crop(const Image& image, const CropRect& rect, int width, int height, Filter filter);

}  // namespace ms
