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

// The format of an image that is neither JPEG nor PNG, by its signature, as Pillow would open it
// (it goes by content, not by the file's name); empty when it is none of the common ones.
std::string other_format_name(const std::string& bytes) {
  auto starts = [&](size_t at, const char* magic, size_t n) {
    return bytes.size() >= at + n && std::memcmp(bytes.data() + at, magic, n) == 0;
  };
  if (starts(0, "GIF87a", 6) || starts(0, "GIF89a", 6)) return "GIF";
  if (starts(0, "RIFF", 4) && starts(8, "WEBP", 4)) return "WebP";
  if (starts(0, "BM", 2) && bytes.size() >= 26) return "BMP";
  if (starts(0, "II*\0", 4) || starts(0, "MM\0*", 4)) return "TIFF";
  if (starts(4, "ftypavif", 8) || starts(4, "ftypheic", 8) || starts(4, "ftypmif1", 8)) return "HEIF/AVIF";
  if (starts(0, "\0\0\0\x0CjP  ", 8) || starts(0, "\xFF\x4F\xFF\x51", 4)) return "JPEG 2000";
  if (bytes.size() >= 3 && bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '6' &&
      (bytes[2] == ' ' || bytes[2] == '\n' || bytes[2] == '\r' || bytes[2] == '\t'))
    return "PNM (PBM/PGM/PPM)";
  return "";
}

[[noreturn]] void throw_unknown_format(const std::string& bytes) {
  if (bytes.empty()) throw std::runtime_error("an empty file, not an image");
  const std::string name = other_format_name(bytes);
  if (name.empty()) throw std::runtime_error("unrecognised image format (neither JPEG nor PNG)");
  throw std::runtime_error("a " + name +
                           " image: metasweep decodes JPEG and PNG only, by content whatever the file's name "
                           "(Pillow, hence torchvision, would read it: convert it to PNG)");
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
  throw_unknown_format(bytes);
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
  throw_unknown_format(bytes);
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
