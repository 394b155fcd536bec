// Image resizing that reproduces Pillow 9.4's `Image.resize(size, resample, box)` byte for byte on
// 8-bit grey and RGB images: separable convolution (horizontal pass, then vertical) with the filter
// support widened by the downscale factor (antialiasing), Pillow's double-precision weights turned
// into 22-bit fixed point, and its rounding and clipping; nearest neighbour as Pillow's affine scale.
#pragma once
#include "images/image.h"

namespace ms {

enum class Filter { Nearest, Bilinear, Bicubic };

// A source region in pixel coordinates (left, top) to (right, bottom), fractional allowed: Pillow's
// `box=`. Pillow holds it as 32-bit floats, and so does resize().
struct ResizeBox {
  double left = 0, top = 0, right = 0, bottom = 0;
};

// The whole image resized to width × height. Throws std::invalid_argument for a size outside
// 1..kMaxImageSide or an image that is not 1- or 3-channel.
Image resize(const Image& image, int width, int height, Filter filter);

// `box` of the image resized to width × height; pixels just outside the box still feed the filter
// (as in Pillow), so this is not the same as crop() then resize() unless the box is the whole image.
// Throws std::invalid_argument for a box outside the image or with negative extent.
Image resize(const Image& image, int width, int height, Filter filter, const ResizeBox& box);

}  // namespace ms
