// JPEG through libjpeg-turbo's libjpeg API, the way Pillow decodes: the scale a reduced decode
// uses (libjpeg's DCT scaling, Pillow's `Image.draft`), where a crop lands in it, and the header and
// pixel readers decode.h dispatches to. Callers outside images/ use decode.h.
#pragma once
#include <string>

#include "images/decode.h"

namespace ms {

// A JPEG DCT scaling factor num/denom (libjpeg-turbo offers M/8 for M = 1..16).
struct JpegScale {
  int num = 1, denom = 1;
};

// The smallest-output scaling factor M/8 <= 1 whose output, ceil(width * M / 8) × ceil(height * M / 8),
// is still at least min_width × min_height; 1/1 when no reduction fits or no minimum is asked for
// (a minimum <= 0 does not constrain its side).
JpegScale choose_jpeg_scale(int width, int height, int min_width, int min_height);

// A rectangle of a full_width × full_height image in the pixels of its reduced decode
// (width × height): corners scaled and floored, sides rounded, at least one pixel, inside the image.
CropRect scale_crop_rect(const CropRect& rect, int full_width, int full_height, int width, int height);

// The JPEG's size (decode.h's read_image_header for a JPEG).
ImageHeader read_jpeg_header(const std::string& bytes);

// decode_image_into for a JPEG: into `out`, reusing its buffer (a loader decoding image after
// image on one thread allocates, and faults in, nothing once the buffer is large enough).
void decode_jpeg_into(const std::string& bytes, const DecodeOptions& options, Image& out);

}  // namespace ms
