// JPEG (libjpeg-turbo's libjpeg API, as Pillow) and PNG (libpng) decoding to
// Pillow-identical 8-bit pixels, and PNG encoding. libjpeg and libpng report errors by longjmp:
// every function that calls into them under setjmp keeps only trivially destructible locals, and
// the handles live in RAII owners one frame up.
#include "images/decode.h"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <jerror.h>
#include <jpeglib.h>  // after <cstdio>: it needs FILE and size_t
#include <limits>
#include <memory>
#include <png.h>
#include <stdexcept>
#include <vector>

#include "images/geometry.h"

namespace ms {
namespace {

constexpr unsigned char kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

const unsigned char* byte_data(const std::string& bytes) {
  return reinterpret_cast<const unsigned char*>(bytes.data());
}

// A side decoded at `scale`: libjpeg's ceil(side * num / denom).
int scaled_side(int side, JpegScale scale) {
  return static_cast<int>((static_cast<long long>(side) * scale.num + scale.denom - 1) / scale.denom);
}

void check_side(int width, int height) {
  if (const std::string problem = image_size_problem(width, height); !problem.empty())
    throw std::invalid_argument(problem);
}

void check_channels(int channels) {
  if (channels != 1 && channels != 3)
    throw std::invalid_argument("images decode to 1 (grey) or 3 (RGB) channels, not " + std::to_string(channels));
}

// ---------------------------------------------------------------------------------------------
// JPEG

// ---- Decoding through the libjpeg API (what Pillow uses), whole images or only a rectangle. ----

// Errors end the decode by longjmp. Warnings are kept: corrupt-data warnings (e.g. extraneous bytes
// before a marker) leave a complete image, and Pillow accepts such files; running out of data
// ("Premature end of JPEG file", whatever else follows) does not: Pillow says "image file is
// truncated". TurboJPEG's decoder was not used for this: it reports an error that follows a warning
// as a warning, so a file that fails half-way would have been taken with rows never written.
struct LibjpegErrors {
  jpeg_error_mgr manager;  // first: libjpeg hands callbacks a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};      // the error
  char end_of_file[JMSG_LENGTH_MAX] = {};  // the premature-end warning, when the data ran out
};

void libjpeg_error_exit(j_common_ptr info) {
  LibjpegErrors* errors = reinterpret_cast<LibjpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

void libjpeg_emit_message(j_common_ptr info, int level) {
  if (level >= 0) return;  // trace messages
  LibjpegErrors* errors = reinterpret_cast<LibjpegErrors*>(info->err);
  if (info->err->msg_code == JWRN_JPEG_EOF && errors->end_of_file[0] == 0)
    (*info->err->format_message)(info, errors->end_of_file);
  ++info->err->num_warnings;
}

struct LibjpegDecompressor {
  jpeg_decompress_struct info{};
  LibjpegErrors errors;
  bool created = false;
  LibjpegDecompressor() {
    info.err = jpeg_std_error(&errors.manager);
    errors.manager.error_exit = libjpeg_error_exit;
    errors.manager.emit_message = libjpeg_emit_message;
  }
  ~LibjpegDecompressor() {
    if (created) jpeg_destroy_decompress(&info);
  }
  LibjpegDecompressor(const LibjpegDecompressor&) = delete;
  LibjpegDecompressor& operator=(const LibjpegDecompressor&) = delete;
};

// Pillow reads CMYK JPEGs as Adobe-inverted ("CMYK;I") and converts with cmyk2rgb:
// channel = (255 - k) - round((255 - k) * c / 255), on the inverted values.
void cmyk_row_to_rgb(const uint8_t* cmyk, int width, uint8_t* rgb) {
  for (int x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    const int nk = cmyk[3];  // 255 - inverted k
    for (int c = 0; c < 3; ++c) {
      const int tmp = (255 - cmyk[c]) * nk + 128;
      rgb[c] = static_cast<uint8_t>(nk - (((tmp >> 8) + tmp) >> 8));
    }
  }
}

void check_crop(const CropRect& r, int width, int height) {
  if (r.width < 1 || r.height < 1 || r.left < 0 || r.top < 0 || r.width > width - r.left || r.height > height - r.top)
    throw std::invalid_argument("crop " + std::to_string(r.width) + "x" + std::to_string(r.height) + " at (" +
                                std::to_string(r.left) + ", " + std::to_string(r.top) + ") is not inside a " +
                                std::to_string(width) + "x" + std::to_string(height) + " image");
}

// The fewest columns a cropped decode transforms: libjpeg upsamples a region less than two chroma
// samples wide (up to 4 pixels each) by replication, not by its triangle filter.
constexpr int kMinJpegCropColumns = 32;

// The decompressor set up on `bytes` with the header read. Only under a caller's setjmp: libjpeg
// reports errors by longjmp to it.
void read_libjpeg_header(LibjpegDecompressor& d, const std::string& bytes) {
  jpeg_create_decompress(&d.info);
  d.created = true;
  jpeg_mem_src(&d.info, byte_data(bytes), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&d.info, TRUE);
}

// Decodes `rect` (in the pixels of the decode at `scale`; the whole image or part of it) into
// `out`. For a part, only its columns and rows are transformed, plus one pixel around it that is
// dropped: libjpeg treats the edges of a cropped region as image edges when it upsamples chroma,
// so the rectangle's own border pixels would differ from the whole decode's. (One row above and
// below too: libjpeg-turbo 2.1 keeps the upsampler's context rows across jpeg_skip_scanlines, and
// the tests find rows exact without it, but it costs one row and guards other versions.) Rows below it are
// skipped (entropy-decoded, not transformed) down to the last, which is read so that libjpeg checks
// the file to its end like a whole decode. Returns false when libjpeg reported an error.
bool run_libjpeg(LibjpegDecompressor& d, const std::string& bytes, const DecodeOptions& options, Image& out,
                 PixelBuffer& row) {
  if (setjmp(d.errors.jump)) return false;
  jpeg_decompress_struct& info = d.info;
  read_libjpeg_header(d, bytes);
  const int image_width = static_cast<int>(info.image_width), image_height = static_cast<int>(info.image_height);
  check_side(image_width, image_height);  // before libjpeg allocates for it
  if (options.crop.width != 0) check_crop(options.crop, image_width, image_height);
  const int channels = options.channels;
  const JpegScale scale = choose_jpeg_scale(image_width, image_height, options.min_width, options.min_height);
  // Grey files decode straight to what was asked (libjpeg replicates grey into RGB exactly as
  // Pillow does); colour files always decode to RGB, because Pillow's 'L' is computed from RGB,
  // not taken from the Y plane.
  const bool cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  const bool grey_out = info.jpeg_color_space == JCS_GRAYSCALE && channels == 1;
  info.out_color_space = cmyk ? JCS_CMYK : grey_out ? JCS_GRAYSCALE : JCS_RGB;
  info.scale_num = static_cast<unsigned int>(scale.num), info.scale_denom = static_cast<unsigned int>(scale.denom);
  info.dct_method = JDCT_ISLOW;  // Pillow's default
  info.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&info);
  const int full_width = static_cast<int>(info.output_width), full_height = static_cast<int>(info.output_height);
  const CropRect rect = options.crop.width == 0
                            ? CropRect{0, 0, full_height, full_width}
                            : scale_crop_rect(options.crop, image_width, image_height, full_width, full_height);
  const bool part = rect.width < full_width || rect.height < full_height;
  const int first_row = part ? std::max(0, rect.top - 1) : 0;
  const int end_row = part ? std::min(full_height, rect.top + rect.height + 1) : full_height;
  int left = std::max(0, rect.left - 1), right = std::min(full_width, rect.left + rect.width + 1);
  if (right - left < kMinJpegCropColumns) {  // narrower regions are upsampled differently
    right = std::min(full_width, left + kMinJpegCropColumns);
    left = std::max(0, right - kMinJpegCropColumns);
  }
  JDIMENSION x = 0;
  if (left > 0 || right < full_width) {
    x = static_cast<JDIMENSION>(left);
    JDIMENSION span = static_cast<JDIMENSION>(right - left);
    jpeg_crop_scanline(&info, &x, &span);  // x moves left to an iMCU boundary, span grows to match
  }
  const size_t pixel = static_cast<size_t>(info.output_components);
  const size_t skip_bytes = static_cast<size_t>(rect.left - static_cast<int>(x)) * pixel;
  out.width = rect.width, out.height = rect.height, out.channels = cmyk ? 3 : static_cast<int>(pixel);
  out.pixels.resize(out.row_bytes() * static_cast<size_t>(rect.height));
  // Rows land in `out` directly when they are exactly its rows; otherwise through `row`.
  const bool direct = !cmyk && static_cast<int>(info.output_width) == rect.width;
  row.resize(static_cast<size_t>(info.output_width) * pixel);
  if (first_row > 0) jpeg_skip_scanlines(&info, static_cast<JDIMENSION>(first_row));
  for (int y = first_row; y < end_row; ++y) {
    const bool inside = y >= rect.top && y < rect.top + rect.height;
    JSAMPROW target = inside && direct ? out.row(y - rect.top) : row.data();
    jpeg_read_scanlines(&info, &target, 1);
    if (!inside || direct) continue;
    if (cmyk)
      cmyk_row_to_rgb(row.data() + skip_bytes, rect.width, out.row(y - rect.top));
    else
      std::memcpy(out.row(y - rect.top), row.data() + skip_bytes, out.row_bytes());
  }
  const JDIMENSION last = info.output_height - 1;
  if (info.output_scanline < last) jpeg_skip_scanlines(&info, last - info.output_scanline);
  JSAMPROW target = row.data();
  while (info.output_scanline < info.output_height) jpeg_read_scanlines(&info, &target, 1);
  jpeg_finish_decompress(&info);
  return true;
}

bool run_libjpeg_header(LibjpegDecompressor& d, const std::string& bytes, ImageHeader& header) {
  if (setjmp(d.errors.jump)) return false;
  read_libjpeg_header(d, bytes);
  header.width = static_cast<int>(d.info.image_width), header.height = static_cast<int>(d.info.image_height);
  return true;
}

// The exception for a decode or header read that failed or ran out of data, if it did.
void throw_jpeg_trouble(const LibjpegDecompressor& d, bool failed) {
  if (d.errors.end_of_file[0] != 0) throw std::runtime_error(std::string("truncated JPEG: ") + d.errors.end_of_file);
  if (!failed) return;
  const std::string message = d.errors.message;
  if (message.find("Premature end") != std::string::npos) throw std::runtime_error("truncated JPEG: " + message);
  throw std::runtime_error("corrupt JPEG: " + message);
}

void check_jpeg_size(const std::string& bytes) {
  if (bytes.size() > std::numeric_limits<unsigned long>::max()) throw std::runtime_error("corrupt JPEG: too large");
}

ImageHeader read_jpeg_header(const std::string& bytes) {
  check_jpeg_size(bytes);
  LibjpegDecompressor d;
  ImageHeader header;
  header.format = ImageFormat::Jpeg;
  throw_jpeg_trouble(d, !run_libjpeg_header(d, bytes, header));
  return header;
}

// Into `out`, reusing its buffer: a loader decoding image after image on one thread allocates
// (and faults in) nothing once the buffer is large enough.
void decode_jpeg_into(const std::string& bytes, const DecodeOptions& options, Image& out) {
  check_jpeg_size(bytes);
  thread_local PixelBuffer row;  // one decoded row, reused
  LibjpegDecompressor d;
  throw_jpeg_trouble(d, !run_libjpeg(d, bytes, options, out, row));
  if (options.channels == 1 && out.channels == 3) out = rgb_to_grey(out);
}

// ---------------------------------------------------------------------------------------------
// PNG

struct PngContext {
  const unsigned char* data = nullptr;
  size_t size = 0, pos = 0;
  bool truncated = false;
  char message[256] = {};
  std::string* output = nullptr;  // encoding only
};

PngContext* png_context(png_structp png) { return static_cast<PngContext*>(png_get_error_ptr(png)); }

void png_on_error(png_structp png, png_const_charp message) {
  std::snprintf(png_context(png)->message, sizeof(PngContext::message), "%s", message ? message : "unknown error");
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}

void png_read_bytes(png_structp png, png_bytep out, size_t length) {
  PngContext* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  if (ctx->size - ctx->pos < length) {
    ctx->truncated = true;
    png_error(png, "truncated PNG");
  }
  std::memcpy(out, ctx->data + ctx->pos, length);
  ctx->pos += length;
}

void png_write_bytes(png_structp png, png_bytep data, size_t length) {
  PngContext* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  try {
    ctx->output->append(reinterpret_cast<const char*>(data), length);
  } catch (...) {
    png_error(png, "out of memory while encoding");
  }
}

void png_flush(png_structp) {}

class PngReader {
 public:
  explicit PngReader(PngContext* ctx) {
    png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, png_on_error, png_on_warning);
    if (png_) info_ = png_create_info_struct(png_);
    if (!png_ || !info_) {
      png_destroy_read_struct(png_ ? &png_ : nullptr, nullptr, nullptr);
      throw std::runtime_error("cannot initialise libpng");
    }
    png_set_read_fn(png_, ctx, png_read_bytes);
  }
  ~PngReader() { png_destroy_read_struct(&png_, &info_, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

class PngWriter {
 public:
  explicit PngWriter(PngContext* ctx) {
    png_ = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, png_on_error, png_on_warning);
    if (png_) info_ = png_create_info_struct(png_);
    if (!png_ || !info_) {
      png_destroy_write_struct(png_ ? &png_ : nullptr, nullptr);
      throw std::runtime_error("cannot initialise libpng");
    }
    png_set_write_fn(png_, ctx, png_write_bytes, png_flush);
  }
  ~PngWriter() { png_destroy_write_struct(&png_, &info_); }
  PngWriter(const PngWriter&) = delete;
  PngWriter& operator=(const PngWriter&) = delete;
  png_structp png() const { return png_; }
  png_infop info() const { return info_; }

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

// What libpng will hand back after the transforms we set.
struct PngLayout {
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, channels = 0;
  size_t row_bytes = 0;
  png_colorp palette = nullptr;
  int palette_size = 0;
};

// Reads the header chunks and sets up transforms. Only trivially destructible locals (setjmp).
bool png_read_layout(png_structp png, png_infop info, PngLayout* layout) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_user_limits(png, kMaxImageSide, kMaxImageSide);
  png_read_info(png, info);
  int interlace = 0;
  png_get_IHDR(png, info, &layout->width, &layout->height, &layout->bit_depth, &layout->color_type, &interlace, nullptr,
               nullptr);
  if (layout->color_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_packing(png);  // one palette index per byte; expanded below through Pillow's palette
    if (!png_get_PLTE(png, info, &layout->palette, &layout->palette_size)) png_error(png, "palette image without PLTE");
  } else if (layout->color_type == PNG_COLOR_TYPE_GRAY && layout->bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);  // scales like Pillow's "1", "L;2", "L;4" unpackers
  }
  // 16-bit grey stays 16-bit (Pillow clamps it); other 16-bit types keep their high byte.
  if (layout->bit_depth == 16 && layout->color_type != PNG_COLOR_TYPE_GRAY) png_set_strip_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  layout->channels = png_get_channels(png, info);
  layout->bit_depth = png_get_bit_depth(png, info);
  layout->row_bytes = png_get_rowbytes(png, info);
  return true;
}

bool png_read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  return true;
}

[[noreturn]] void throw_png_error(const PngContext& ctx) {
  if (ctx.truncated) throw std::runtime_error("truncated PNG");
  throw std::runtime_error(std::string("corrupt PNG: ") + ctx.message);
}

ImageHeader read_png_header(const std::string& bytes) {
  // Signature, then the IHDR chunk: length (4), "IHDR", width (4), height (4), ...
  if (bytes.size() < 24) throw std::runtime_error("truncated PNG");
  if (std::memcmp(bytes.data() + 12, "IHDR", 4) != 0) throw std::runtime_error("corrupt PNG: first chunk is not IHDR");
  const unsigned char* p = byte_data(bytes);
  auto be32 = [](const unsigned char* q) {
    return (uint32_t{q[0]} << 24) | (uint32_t{q[1]} << 16) | (uint32_t{q[2]} << 8) | uint32_t{q[3]};
  };
  const uint32_t width = be32(p + 16), height = be32(p + 20);
  if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu)
    throw std::runtime_error("corrupt PNG: invalid size in IHDR");
  ImageHeader h;
  h.format = ImageFormat::Png;
  h.width = static_cast<int>(width), h.height = static_cast<int>(height);
  return h;
}

Image decode_png(const std::string& bytes, const DecodeOptions& options) {
  const ImageHeader header = read_png_header(bytes);
  check_side(header.width, header.height);
  // Deflate cannot compress more than ~1032:1, so a file this short cannot hold these pixels; refuse
  // it before allocating what a hostile header asks for.
  const double min_raw_bytes = static_cast<double>(header.width) * header.height / 8.0;
  if (static_cast<double>(bytes.size()) * 1100.0 < min_raw_bytes) throw std::runtime_error("truncated PNG");

  PngContext ctx;
  ctx.data = byte_data(bytes);
  ctx.size = bytes.size();
  PngReader reader(&ctx);
  PngLayout layout;
  if (!png_read_layout(reader.png(), reader.info(), &layout)) throw_png_error(ctx);
  const int width = static_cast<int>(layout.width), height = static_cast<int>(layout.height);
  check_side(width, height);

  std::vector<uint8_t> raw(layout.row_bytes * static_cast<size_t>(height));
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int y = 0; y < height; ++y)
    rows[static_cast<size_t>(y)] = raw.data() + layout.row_bytes * static_cast<size_t>(y);
  if (!png_read_rows(reader.png(), rows.data())) throw_png_error(ctx);

  const size_t n = static_cast<size_t>(width) * static_cast<size_t>(height);
  Image out;
  if (layout.color_type == PNG_COLOR_TYPE_PALETTE) {
    // Pillow's palette starts as a grey ramp; PLTE overwrites its first entries.
    uint8_t table[256][3];
    for (int i = 0; i < 256; ++i) table[i][0] = table[i][1] = table[i][2] = static_cast<uint8_t>(i);
    for (int i = 0; i < layout.palette_size && i < 256; ++i) {
      table[i][0] = layout.palette[i].red, table[i][1] = layout.palette[i].green, table[i][2] = layout.palette[i].blue;
    }
    out = make_image(width, height, 3);
    for (size_t i = 0; i < n; ++i) std::memcpy(&out.pixels[i * 3], table[raw[i]], 3);
  } else if (layout.channels == 1 && layout.bit_depth == 16) {
    out = make_image(width, height, 1);
    for (size_t i = 0; i < n; ++i) {
      const unsigned v = (unsigned{raw[2 * i]} << 8) | raw[2 * i + 1];
      out.pixels[i] = static_cast<uint8_t>(v > 255 ? 255 : v);
    }
  } else if (layout.bit_depth == 8 && layout.channels >= 1 && layout.channels <= 4) {
    // 1: grey, 2: grey+alpha, 3: RGB, 4: RGBA; alpha is dropped.
    const int colours = layout.channels >= 3 ? 3 : 1;
    out = make_image(width, height, colours);
    const size_t step = static_cast<size_t>(layout.channels);
    for (size_t i = 0; i < n; ++i)
      for (int c = 0; c < colours; ++c) out.pixels[i * colours + c] = raw[i * step + static_cast<size_t>(c)];
  } else {
    throw std::runtime_error("corrupt PNG: unsupported layout (" + std::to_string(layout.channels) + " channels of " +
                             std::to_string(layout.bit_depth) + " bits)");
  }
  if (options.channels == out.channels) return out;
  return options.channels == 1 ? rgb_to_grey(out) : grey_to_rgb(out);
}

bool png_write_all(png_structp png, png_infop info, int width, int height, int color_type, const uint8_t* pixels,
                   size_t stride) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, color_type,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) png_write_row(png, pixels + stride * static_cast<size_t>(y));
  png_write_end(png, info);
  return true;
}

}  // namespace

ImageFormat detect_image_format(const std::string& bytes) {
  const unsigned char* p = byte_data(bytes);
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

CropRect scale_crop_rect(const CropRect& r, int full_width, int full_height, int width, int height) {
  if (width == full_width && height == full_height) return r;
  const double sx = static_cast<double>(width) / full_width, sy = static_cast<double>(height) / full_height;
  CropRect out;
  out.left = std::min(width - 1, static_cast<int>(std::floor(r.left * sx)));
  out.top = std::min(height - 1, static_cast<int>(std::floor(r.top * sy)));
  out.width = std::clamp(static_cast<int>(std::lround(r.width * sx)), 1, width - out.left);
  out.height = std::clamp(static_cast<int>(std::lround(r.height * sy)), 1, height - out.top);
  return out;
}

JpegScale choose_jpeg_scale(int width, int height, int min_width, int min_height) {
  JpegScale best;
  if (min_width <= 0 && min_height <= 0) return best;
  // libjpeg's factors M/8 up to 1, largest first: among factors with equal output the larger is
  // kept (libjpeg-turbo would decode both alike).
  static constexpr JpegScale kFactors[] = {{1, 1}, {7, 8}, {3, 4}, {5, 8}, {1, 2}, {3, 8}, {1, 4}, {1, 8}};
  long long best_area = static_cast<long long>(width) * height;
  for (const JpegScale f : kFactors) {
    const int w = scaled_side(width, f), h = scaled_side(height, f);
    if (w < min_width || h < min_height) continue;
    if (static_cast<long long>(w) * h < best_area) {
      best_area = static_cast<long long>(w) * h;
      best = f;
    }
  }
  return best;
}

void decode_image_into(const std::string& bytes, const DecodeOptions& options, Image& out) {
  check_channels(options.channels);
  switch (detect_image_format(bytes)) {
    case ImageFormat::Jpeg:
      return decode_jpeg_into(bytes, options, out);
    case ImageFormat::Png:
      out = decode_png(bytes, options);
      if (options.crop.width != 0) {
        check_crop(options.crop, out.width, out.height);
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

std::string encode_png(const Image& image) {
  check_channels(image.channels);
  check_side(image.width, image.height);
  if (image.pixels.size() != image.row_bytes() * static_cast<size_t>(image.height))
    throw std::invalid_argument("image pixel buffer does not match its size");
  std::string out;
  PngContext ctx;
  ctx.output = &out;
  PngWriter writer(&ctx);
  const int color_type = image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB;
  if (!png_write_all(writer.png(), writer.info(), image.width, image.height, color_type, image.pixels.data(),
                     image.row_bytes()))
    throw std::runtime_error(std::string("cannot encode PNG: ") + ctx.message);
  return out;
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
