// PNG through libpng, the way Pillow decodes (see decode.h for the conversions), and a small
// PNG encoder used to write test datasets. Callers outside images/ decode through decode.h.
#pragma once
#include <string>

#include "images/decode.h"

namespace ms {

// The PNG's size from its IHDR chunk (decode.h's read_image_header for a PNG).
ImageHeader read_png_header(const std::string& bytes);

// The whole PNG as `channels` (1 or 3) channels, converted like Pillow's convert('L' | 'RGB').
// Accepted and refused as Pillow 9.4 accepts and refuses (see png_codec.cpp): a file cut after its
// last scanline decodes, and so does one whose compressed data ends after a whole row (the rows
// not reached are zeros); a chunk cut short after the image data, or a wrong checksum in one before
// it, is refused.
Image decode_png(const std::string& bytes, int channels);

// An 8-bit grey or RGB PNG of the image (zlib level 6, no interlace).
std::string encode_png(const Image& image);

}  // namespace ms
