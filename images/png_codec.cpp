// PNG decoding through libpng to Pillow-identical 8-bit pixels, and a small PNG encoder (see
// png_codec.h). libpng reports errors by longjmp: every function that calls into it under setjmp
// keeps only trivially destructible locals, and the handles live in RAII owners one frame up.
#include "images/png_codec.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <png.h>
#include <stdexcept>
#include <vector>
#include <zlib.h>

namespace ms {
namespace {

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
  // Pillow (hence torchvision) refuses a file with a wrong checksum in any chunk before the image
  // data, ancillary ones (tRNS, gAMA, tEXt, unknown ones) included, where libpng would only drop
  // the chunk; it never checks IDAT checksums.
  png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
  png_read_info(png, info);
  png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_DEFAULT);
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

uint32_t be32(const unsigned char* q) {
  return (uint32_t{q[0]} << 24) | (uint32_t{q[1]} << 16) | (uint32_t{q[2]} << 8) | uint32_t{q[3]};
}

// The scanlines of a width × height image, pass by pass (one pass unless Adam7; empty passes left
// out): how many rows, and the bytes of each with its filter byte. Empty for a colour type or bit
// depth PNG does not have.
struct PngPass {
  uint64_t rows, row_bytes;
};
std::vector<PngPass> png_passes(uint64_t width, uint64_t height, int bit_depth, int color_type, bool adam7) {
  const int samples = color_type == 0   ? 1
                      : color_type == 2 ? 3
                      : color_type == 3 ? 1
                      : color_type == 4 ? 2
                      : color_type == 6 ? 4
                                        : 0;
  if (samples == 0 || (bit_depth != 1 && bit_depth != 2 && bit_depth != 4 && bit_depth != 8 && bit_depth != 16))
    return {};
  // Adam7's passes: first column and row, column and row step.
  static const int kAdam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                   {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
  static const int kWhole[1][4] = {{0, 0, 1, 1}};
  std::vector<PngPass> passes;
  for (const auto& p :
       adam7 ? std::vector<const int*>(std::begin(kAdam7), std::end(kAdam7)) : std::vector<const int*>{kWhole[0]}) {
    const uint64_t w = width > uint64_t(p[0]) ? (width - p[0] + p[2] - 1) / p[2] : 0;
    const uint64_t h = height > uint64_t(p[1]) ? (height - p[1] + p[3] - 1) / p[3] : 0;
    if (w > 0 && h > 0) passes.push_back({h, 1 + (w * uint64_t(samples) * uint64_t(bit_depth) + 7) / 8});
  }
  return passes;
}

void append_png_chunk(std::string* out, const char* type, const std::string& data) {
  const uint32_t length = static_cast<uint32_t>(data.size());
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(length >> shift));
  out->append(type, 4);
  out->append(data);
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(type), 4);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(crc >> shift));
}

// After the image data Pillow's PngImageFile.load_end reads on, from the end of the chunk that
// held the last row (`pos`: after its CRC) up to IEND: every chunk whose data the file cuts short
// fails the image ("Truncated File Read"); a header cut short or one whose type is not four
// letters, digits or '_' ends the reading quietly. Whether the image passes.
bool pillow_reads_past_the_image(const std::string& bytes, uint64_t pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const uint64_t size = bytes.size();
  while (pos + 8 <= size) {
    for (int i = 4; i < 8; ++i)
      if (!std::isalnum(p[pos + i]) && p[pos + i] != '_') return true;
    if (std::memcmp(p + pos + 4, "IEND", 4) == 0) return true;
    const uint64_t data = pos + 8, length = be32(p + pos);
    if (length > size - data) return false;
    pos = data + length + 4;  // (its CRC is not checked, nor read whole)
  }
  return true;
}

// A PNG's compressed image data as Pillow reads it: the IDAT chunks after the header chunks, each
// by its stated length (cut by the file's end), in pieces of at most 64 KiB (ImageFile.load's
// reads).
struct IdatPiece {
  uint64_t begin, size, chunk_end;  // chunk_end: after the chunk's CRC (may lie past the file)
};

// PNGs libpng refuses and Pillow decodes: a file whose end is missing while its scanlines are
// whole (Pillow's decoder stops once it has every row, and never reads the zlib checksum after
// them or the CRC of the IDAT that held them), and one whose compressed data ends early after a
// whole row (Pillow stops there and leaves the rows not reached as zeros). The image data is read
// again as Pillow's ZipDecode reads it -- piece by piece, a row asked of zlib only while the piece
// has bytes left, a filter type above 4 refused -- and, when Pillow would have every row and
// read on past the image (pillow_reads_past_the_image), rebuilt with the same scanlines (zeros
// after an early end) in one complete IDAT chunk and IEND, the chunks before kept as they are, to
// be decoded like any other file. One row is held at a time. "" when Pillow would refuse it too.
std::string png_rebuilt_as_pillow_reads_it(const std::string& bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const uint64_t size = bytes.size();
  if (size < 33) return "";  // signature and a whole IHDR
  const std::vector<PngPass> passes = png_passes(be32(p + 16), be32(p + 20), p[24], p[25], p[28] == 1);
  if (passes.empty()) return "";
  std::vector<IdatPiece> pieces;
  uint64_t pos = 8, first_idat = 0;
  while (pos + 8 <= size) {
    const uint64_t length = be32(p + pos), data = pos + 8;
    if (std::memcmp(p + pos + 4, "IDAT", 4) == 0) {
      if (first_idat == 0) first_idat = pos;
      const uint64_t present = std::min(length, size - data);
      for (uint64_t at = 0; at < present; at += 65536)
        pieces.push_back({data + at, std::min<uint64_t>(65536, present - at), data + length + 4});
    } else if (first_idat != 0) {
      break;
    } else if (data + length + 4 > size) {
      return "";  // cut before the image data
    }
    pos = data + length + 4;
  }
  if (pieces.empty()) return "";

  struct Zlib {  // inflate (Pillow's reading) and deflate (the rebuilt IDAT), ended on every path
    z_stream in{}, out{};
    bool in_ok = false, out_ok = false;
    ~Zlib() {
      if (in_ok) inflateEnd(&in);
      if (out_ok) deflateEnd(&out);
    }
  } z;
  z.in_ok = inflateInit(&z.in) == Z_OK;
  z.out_ok = deflateInit(&z.out, 1) == Z_OK;
  if (!z.in_ok || !z.out_ok) return "";
  std::string idat, buffer(1 << 16, '\0');
  auto deflate_some = [&](const unsigned char* data, uint64_t n, int flush) {
    z.out.next_in = const_cast<Bytef*>(data);
    z.out.avail_in = static_cast<uInt>(n);
    for (;;) {
      z.out.next_out = reinterpret_cast<Bytef*>(buffer.data());
      z.out.avail_out = static_cast<uInt>(buffer.size());
      const int status = deflate(&z.out, flush);
      if (status == Z_STREAM_ERROR) return false;
      idat.append(buffer.data(), buffer.size() - z.out.avail_out);
      if (flush == Z_FINISH ? status == Z_STREAM_END : z.out.avail_in == 0 && z.out.avail_out != 0) return true;
    }
  };

  uint64_t max_row = 0;
  for (const PngPass& pass : passes) max_row = std::max(max_row, pass.row_bytes);
  if (max_row > UINT32_MAX) return "";
  std::string row(max_row, '\0');
  size_t pass = 0;
  uint64_t row_index = 0, filled = 0, ended_in = 0;  // ended_in: chunk_end of the last row's piece
  bool done = false;
  for (const IdatPiece& piece : pieces) {
    z.in.next_in = const_cast<Bytef*>(p + piece.begin);
    z.in.avail_in = static_cast<uInt>(piece.size);
    while (z.in.avail_in > 0 && !done) {
      const uint64_t row_bytes = passes[pass].row_bytes;
      z.in.next_out = reinterpret_cast<Bytef*>(row.data() + filled);
      z.in.avail_out = static_cast<uInt>(row_bytes - filled);
      const int status = inflate(&z.in, Z_NO_FLUSH);
      if (status < 0) return "";  // (corrupt data: Pillow refuses it too)
      filled = row_bytes - z.in.avail_out;
      if (filled < row_bytes) break;                          // the piece is used up: Pillow asks for more input
      if (static_cast<unsigned char>(row[0]) > 4) return "";  // Pillow: unknown filter type
      if (!deflate_some(reinterpret_cast<const unsigned char*>(row.data()), row_bytes, Z_NO_FLUSH)) return "";
      filled = 0;
      if (++row_index == passes[pass].rows) ++pass, row_index = 0;
      done = pass == passes.size() || status == Z_STREAM_END;
      if (done) ended_in = piece.chunk_end;
    }
    if (done) break;
  }
  if (!done || !pillow_reads_past_the_image(bytes, ended_in)) return "";
  // Rows after an early end of the data: zeros (filter type 0, none), as Pillow leaves them.
  std::fill(row.begin(), row.end(), '\0');
  for (; pass < passes.size(); ++pass, row_index = 0)
    for (; row_index < passes[pass].rows; ++row_index)
      if (!deflate_some(reinterpret_cast<const unsigned char*>(row.data()), passes[pass].row_bytes, Z_NO_FLUSH))
        return "";
  if (!deflate_some(nullptr, 0, Z_FINISH) || idat.size() > UINT32_MAX / 2) return "";
  std::string rebuilt = bytes.substr(0, first_idat);
  append_png_chunk(&rebuilt, "IDAT", idat);
  append_png_chunk(&rebuilt, "IEND", "");
  return rebuilt;
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

ImageHeader read_png_header(const std::string& bytes) {
  // Signature, then the IHDR chunk: length (4), "IHDR", width (4), height (4), ...
  if (bytes.size() < 24) throw std::runtime_error("truncated PNG");
  if (std::memcmp(bytes.data() + 12, "IHDR", 4) != 0) throw std::runtime_error("corrupt PNG: first chunk is not IHDR");
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const uint32_t width = be32(p + 16), height = be32(p + 20);
  if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu)
    throw std::runtime_error("corrupt PNG: invalid size in IHDR");
  ImageHeader h;
  h.format = ImageFormat::Png;
  h.width = static_cast<int>(width), h.height = static_cast<int>(height);
  return h;
}

namespace {

Image decode_png(const std::string& bytes, int channels, bool may_rebuild);

// After libpng refused `bytes` (its message in ctx): the decode of the file rebuilt as Pillow reads
// it, when Pillow would take it; otherwise libpng's error.
Image decode_as_pillow_reads_it(const std::string& bytes, int channels, const PngContext& ctx) {
  const std::string rebuilt = png_rebuilt_as_pillow_reads_it(bytes);
  if (rebuilt.empty()) throw_png_error(ctx);
  return decode_png(rebuilt, channels, false);
}

Image decode_png(const std::string& bytes, int channels, bool may_rebuild) {
  const ImageHeader header = read_png_header(bytes);
  check_image_size(header.width, header.height);
  // Deflate cannot compress more than ~1032:1, so a file this short cannot hold these pixels; refuse
  // it before allocating what a hostile header asks for.
  const double min_raw_bytes = static_cast<double>(header.width) * header.height / 8.0;
  if (static_cast<double>(bytes.size()) * 1100.0 < min_raw_bytes) throw std::runtime_error("truncated PNG");

  PngContext ctx;
  ctx.data = reinterpret_cast<const unsigned char*>(bytes.data());
  ctx.size = bytes.size();
  PngReader reader(&ctx);
  PngLayout layout;
  if (!png_read_layout(reader.png(), reader.info(), &layout)) {
    // (The first IDAT's stated length is out of libpng's range: Pillow reads on regardless.)
    if (!may_rebuild) throw_png_error(ctx);
    return decode_as_pillow_reads_it(bytes, channels, ctx);
  }
  const int width = static_cast<int>(layout.width), height = static_cast<int>(layout.height);
  check_image_size(width, height);

  std::vector<uint8_t> raw(layout.row_bytes * static_cast<size_t>(height));
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int y = 0; y < height; ++y)
    rows[static_cast<size_t>(y)] = raw.data() + layout.row_bytes * static_cast<size_t>(y);
  if (!png_read_rows(reader.png(), rows.data())) {
    // (libpng stops at the first chunk boundary it dislikes -- the file's end, a chunk length out
    // of range, compressed data that ends early -- where Pillow may already have every row: the
    // image data is read again as Pillow reads it, with this decode's buffers freed first.)
    if (!may_rebuild) throw_png_error(ctx);
    std::vector<uint8_t>().swap(raw);
    std::vector<png_bytep>().swap(rows);
    return decode_as_pillow_reads_it(bytes, channels, ctx);
  }
  // Pillow reads on past the image data to IEND, and fails on a chunk the file cuts short.
  if (may_rebuild && !pillow_reads_past_the_image(bytes, ctx.pos)) throw std::runtime_error("truncated PNG");

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
  if (channels == out.channels) return out;
  return channels == 1 ? rgb_to_grey(out) : grey_to_rgb(out);
}

}  // namespace

Image decode_png(const std::string& bytes, int channels) { return decode_png(bytes, channels, true); }

std::string encode_png(const Image& image) {
  if (image.channels != 1 && image.channels != 3)
    throw std::invalid_argument("PNG encoding takes 1 (grey) or 3 (RGB) channels, not " +
                                std::to_string(image.channels));
  check_image_size(image.width, image.height);
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

}  // namespace ms
