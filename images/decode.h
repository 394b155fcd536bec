// Encoded image bytes to 8-bit pixels, matching Pillow's `Image.open(f).convert('RGB' | 'L')`
// byte for byte: JPEG through libjpeg-turbo (optionally with libjpeg's DCT scaling, the way
// Pillow's `Image.draft` decodes a reduced image, and optionally only a crop; jpeg_codec.h), PNG
// through libpng (png_codec.h, which also has a small PNG encoder for writing test datasets).
#pragma once
#include <string>

#include "images/image.h"

namespace ms {

enum class ImageFormat { Unknown, Jpeg, Png };

// The format named by the first bytes (JPEG: FF D8 FF, PNG: its 8-byte signature).
ImageFormat detect_image_format(const std::string& bytes);

// Width and height stored in the file, read without decoding the pixels.
struct ImageHeader {
  ImageFormat format = ImageFormat::Unknown;
  int width = 0, height = 0;
};
// Throws std::runtime_error ("unrecognised image format", "corrupt JPEG: ...", "truncated PNG", ...).
ImageHeader read_image_header(const std::string& bytes);

struct DecodeOptions {
  int channels = 3;  // 3: Pillow's convert('RGB'); 1: convert('L')
  // JPEG only: decode reduced by the factor choose_jpeg_scale() (jpeg_codec.h) picks for this minimum (PNG ignores it).
  int min_width = 0, min_height = 0;
  // Only this rectangle of the full-resolution image (width 0: the whole image), mapped into the
  // reduced pixels by scale_crop_rect() when the decode is reduced. The pixels are those of the
  // whole decode cropped, byte for byte; a JPEG inverse-transforms only the rectangle's rows and
  // columns (libjpeg's crop_scanline and skip_scanlines) but still reads all of its entropy-coded
  // data, so a corrupt or truncated file fails whatever the rectangle.
  CropRect crop;
};

// Decodes a JPEG or PNG (detected by magic bytes), or the rectangle options.crop of it. Conversions
// follow Pillow 9.4:
//  - alpha is dropped (never composited), palettes expand through Pillow's palette (entries the
//    PLTE chunk lacks are Pillow's grey ramp), grey replicates to RGB;
//  - RGB→grey is Pillow's L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16 (for colour JPEGs too,
//    computed from the decoded RGB as Pillow does, not libjpeg's Y channel);
//  - 16-bit colour and grey+alpha keep the high byte; 16-bit grey is clamped to 0..255 (Pillow opens
//    it as 32-bit mode "I" and clips on conversion);
//  - CMYK/YCCK JPEGs are read with Adobe's inverted polarity and converted like Pillow's cmyk2rgb.
// Throws std::runtime_error naming the problem ("corrupt JPEG: ...", "truncated JPEG", "corrupt PNG:
// ...", "truncated PNG", "unrecognised image format") and std::invalid_argument for bad options, a
// crop not inside the image or an image side beyond kMaxImageSide.
Image decode_image(const std::string& bytes, const DecodeOptions& options);
// The same into `out`, reusing its pixel buffer (JPEG: nothing allocated once it is large
// enough; a loader keeps one per thread). On an exception `out` holds no usable image.
void decode_image_into(const std::string& bytes, const DecodeOptions& options, Image& out);
Image decode_image(const std::string& bytes, int channels = 3, int min_width = 0, int min_height = 0);

// Pillow's RGB→L conversion of one pixel and of a whole RGB image.
inline uint8_t pillow_luma(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}
Image rgb_to_grey(const Image& rgb);
// Grey replicated into three channels (an RGB image is returned unchanged).
Image grey_to_rgb(const Image& grey);

}  // namespace ms
