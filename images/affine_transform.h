// Pillow 9.4's geometric resampling of a whole image, byte for byte on 8-bit grey and RGB: the
// AFFINE transform (Image.transform(size, AFFINE, data, resample, fillcolor) with the output the
// size of the input) and the quarter-turn transposes Image.rotate takes for multiples of 90°. The
// RandAugment operations (rand_augment.h) are built on them.
#pragma once
#include <cstdint>

#include "images/image.h"
#include "images/resample.h"

namespace ms {

// Output pixel (x, y) samples the input at (a0·x' + a1·y' + a2, a3·x' + a4·y' + a5) with x' = x + 0.5,
// y' = y + 0.5 (Pillow's pixel centres); positions outside the input take `fill` (one byte per
// channel; grey uses fill[0]). Nearest uses Pillow's scale-only, 16.16 fixed-point or
// floating-point loops; bilinear and bicubic its per-pixel filters with their truncations.
Image affine_transform(const Image& image, const double a[6], Filter filter, const uint8_t fill[3]);

// Counter-clockwise quarter turns (1, 2 or 3): Transpose.ROTATE_90 / ROTATE_180 / ROTATE_270.
Image quarter_turns(const Image& image, int turns);

}  // namespace ms
