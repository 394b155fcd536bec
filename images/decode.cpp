// Encoded image bytes to pixels (see decode.h): format detection and dispatch to the JPEG
// (jpeg_codec) and PNG (png_codec) decoders, and Pillow's grey/RGB conversions.
#include "images/decode.h"

#include <cstring>
#include <stdexcept>

#include "images/geometry.h"
#include "images/jpeg_codec.h"
#include "images/png_codec.h"

namespace ms {
namespace {

constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

void check_channels(int channels) {
  if (channels != 1 && channels != 3)
    throw std::invalid_argument("images decode to 1 (grey) or 3 (RGB) channels, not " + std::to_string(channels));
}

}  // namespace

ImageFormat detect_image_format(const std::string& bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return ImageFormat::Jpeg;
  if (bytes.size() >= 8 && std::memcmp(p, kPngSignature, 8) == 0) return ImageFormat::Png;
  return ImageFormat::Unknown;
}

ImageHeader read_image_header(const std::string& bytes) {
  switch (detect_image_format(bytes)) {
    case ImageFormat::Jpeg:
      return read_jpeg_header(bytes);
    case ImageFormat::Png:
      return read_png_header(bytes);
    case ImageFormat::Unknown:
      break;
  }
  throw std::runtime_error("unrecognised image format (neither JPEG nor PNG)");
}

void decode_image_into(const std::string& bytes, const DecodeOptions& options, Image& out) {
  check_channels(options.channels);
  switch (detect_image_format(bytes)) {
    case ImageFormat::Jpeg:
      return decode_jpeg_into(bytes, options, out);
    case ImageFormat::Png:
      out = decode_png(bytes, options.channels);
      if (options.crop.width != 0) {
        check_crop_inside(options.crop, out.width, out.height);
        if (options.crop.width < out.width || options.crop.height < out.height) out = crop(out, options.crop);
      }
      return;
    case ImageFormat::Unknown:
      break;
  }
  throw std::runtime_error("unrecognised image format (neither JPEG nor PNG)");
}

Image decode_image(const std::string& bytes, const DecodeOptions& options) {
  Image out;
  decode_image_into(bytes, options, out);
  return out;
}

Image decode_image(const std::string& bytes, int channels, int min_width, int min_height) {
  DecodeOptions options;
  options.channels = channels;
  options.min_width = min_width, options.min_height = min_height;
  return decode_image(bytes, options);
}

Image rgb_to_grey(const Image& rgb) {
  if (rgb.channels == 1) return rgb;
  Image out = make_image(rgb.width, rgb.height, 1);
  const size_t n = static_cast<size_t>(rgb.width) * static_cast<size_t>(rgb.height);
  const uint8_t* p = rgb.pixels.data();
  for (size_t i = 0; i < n; ++i, p += 3) out.pixels[i] = pillow_luma(p[0], p[1], p[2]);
  return out;
}

Image grey_to_rgb(const Image& grey) {
  if (grey.channels == 3) return grey;
  Image out = make_image(grey.width, grey.height, 3);
  const size_t n = static_cast<size_t>(grey.width) * static_cast<size_t>(grey.height);
  for (size_t i = 0; i < n; ++i) out.pixels[i * 3] = out.pixels[i * 3 + 1] = out.pixels[i * 3 + 2] = grey.pixels[i];
  return out;
}

}  // namespace ms
