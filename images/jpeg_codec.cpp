// JPEG decoding through libjpeg-turbo's libjpeg API (what Pillow uses), whole images or only a
// rectangle, optionally with libjpeg's DCT scaling (see jpeg_codec.h). libjpeg reports errors by
// longjmp: every function that calls into it under setjmp keeps only trivially destructible
// locals, and the handles live in RAII owners one frame up.
#include "images/jpeg_codec.h"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <jerror.h>
#include <jpeglib.h>  // after <cstdio>: it needs FILE and size_t
#include <limits>
#include <stdexcept>

namespace ms {
namespace {

// A side decoded at `scale`: libjpeg's ceil(side * num / denom).
int scaled_side(int side, JpegScale scale) {
  return static_cast<int>((static_cast<long long>(side) * scale.num + scale.denom - 1) / scale.denom);
}

// ---- Decoding through the libjpeg API (what Pillow uses), whole images or only a rectangle. ----

// Errors end the decode by longjmp. Warnings are kept: corrupt-data warnings (e.g. extraneous bytes
// before a marker) leave a complete image, and Pillow accepts such files; running out of data
// ("Premature end of JPEG file", whatever else follows) before the last row does not: Pillow says
// "image file is truncated". Once every row is out, Pillow ends the decode at the data's end even
// when jpeg_finish_decompress has not found EOI (a damaged end marker, or one turned into another
// marker): so does this, instead of letting libjpeg's memory source invent an EOI and parse on.
// TurboJPEG's decoder was not used for this: it reports an error that follows a warning
// as a warning, so a file that fails half-way would have been taken with rows never written.
struct LibjpegErrors {
  jpeg_error_mgr manager;  // first: libjpeg hands callbacks a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};                  // the error
  char end_of_file[JMSG_LENGTH_MAX] = {};              // the premature-end warning, when the data ran out
  bool every_row_read = false;                         // set before jpeg_finish_decompress
  boolean (*fill_memory)(j_decompress_ptr) = nullptr;  // jpeg_mem_src's: a fake EOI and a warning
};

constexpr int kEndedAfterEveryRow = 2;  // the longjmp value of the data's end after the last row

// The memory source's refill, called only when the data has run out.
boolean libjpeg_fill_past_the_end(j_decompress_ptr info) {
  LibjpegErrors* errors = reinterpret_cast<LibjpegErrors*>(info->err);
  if (errors->every_row_read) std::longjmp(errors->jump, kEndedAfterEveryRow);
  return errors->fill_memory(info);
}

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

// The fewest columns a cropped decode transforms: libjpeg upsamples a region less than two chroma
// samples wide (up to 4 pixels each) by replication, not by its triangle filter.
constexpr int kMinJpegCropColumns = 32;

// The decompressor set up on `bytes` with the header read. Only under a caller's setjmp: libjpeg
// reports errors by longjmp to it.
void read_libjpeg_header(LibjpegDecompressor& d, const std::string& bytes) {
  jpeg_create_decompress(&d.info);
  d.created = true;
  jpeg_mem_src(&d.info, reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<unsigned long>(bytes.size()));
  d.errors.fill_memory = d.info.src->fill_input_buffer;
  d.info.src->fill_input_buffer = libjpeg_fill_past_the_end;
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
  switch (setjmp(d.errors.jump)) {
    case 0:
      break;
    case kEndedAfterEveryRow:
      return true;  // (jpeg_finish_decompress ran out of data: the image is complete)
    default:
      return false;
  }
  jpeg_decompress_struct& info = d.info;
  read_libjpeg_header(d, bytes);
  const int image_width = static_cast<int>(info.image_width), image_height = static_cast<int>(info.image_height);
  check_image_size(image_width, image_height);  // before libjpeg allocates for it
  if (options.crop.width != 0) check_crop_inside(options.crop, image_width, image_height);
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
  d.errors.every_row_read = true;
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

}  // namespace

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

}  // namespace ms
