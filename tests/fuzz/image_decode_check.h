// The contract of decode_image on any bytes, shared by the libFuzzer target (image_fuzzer.cpp) and
// the unit test that replays its corpus (tests/images/image_fuzz_corpus_test.cpp): a file either
// decodes or raises std::runtime_error / std::invalid_argument (anything else escapes); a decoded
// image has its header's size and a full pixel buffer; grey is Pillow's luma of the RGB decode; a
// cropped decode fails exactly when the whole decode fails and otherwise equals it cropped; a
// reduced (JPEG DCT-scaled) decode fails when the whole one fails.
#pragma once
#include <stdexcept>
#include <string>

#include "images/decode.h"
#include "images/geometry.h"

namespace ms::fuzz {

enum class Outcome { Decoded, Refused };

// Decodes (or refuses) with `options`; the exception types a caller must handle are the only ones
// caught, so any other escapes to the fuzzer (a crash) or the test (a failure).
inline Outcome try_decode(const std::string& bytes, const DecodeOptions& options, Image* out) {
  try {
    *out = decode_image(bytes, options);
    return Outcome::Decoded;
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
  return Outcome::Refused;
}

// What broke the contract, or "" when nothing did.
inline std::string image_decode_problem(const std::string& bytes) {
  Image whole;
  if (try_decode(bytes, DecodeOptions{}, &whole) == Outcome::Refused) {
    Image other;
    DecodeOptions cropped;
    cropped.crop = CropRect{0, 0, 1, 1};
    if (try_decode(bytes, cropped, &other) == Outcome::Decoded) return "a crop decodes where the whole image fails";
    DecodeOptions reduced;
    reduced.min_width = reduced.min_height = 1;  // a JPEG's smallest scale, 1/8
    if (try_decode(bytes, reduced, &other) == Outcome::Decoded)
      return "a reduced decode succeeds where the whole fails";
    return "";
  }
  ImageHeader header;
  try {
    header = read_image_header(bytes);
  } catch (const std::runtime_error&) {
    return "decodes but its header is refused";
  }
  if (whole.width != header.width || whole.height != header.height || whole.channels != 3)
    return "decoded size differs from the header's";
  if (whole.pixels.size() != whole.row_bytes() * static_cast<size_t>(whole.height))
    return "pixel buffer does not match the size";

  Image grey;
  DecodeOptions one_channel;
  one_channel.channels = 1;
  if (try_decode(bytes, one_channel, &grey) == Outcome::Refused) return "grey decode fails where RGB decodes";
  if (grey.pixels != rgb_to_grey(whole).pixels) return "grey decode is not Pillow's luma of the RGB decode";

  DecodeOptions cropped;
  cropped.crop = CropRect{whole.height / 3, whole.width / 4, (whole.height + 1) / 2, (whole.width + 2) / 3};
  Image part;
  if (try_decode(bytes, cropped, &part) == Outcome::Refused) return "a crop fails where the whole image decodes";
  if (part.pixels != crop(whole, cropped.crop).pixels) return "cropped decode differs from the whole decode cropped";

  DecodeOptions reduced;
  reduced.min_width = (whole.width + 3) / 4, reduced.min_height = (whole.height + 3) / 4;
  Image small;
  if (try_decode(bytes, reduced, &small) == Outcome::Refused) return "a reduced decode fails where the whole decodes";
  if (small.width < reduced.min_width || small.height < reduced.min_height || small.width > whole.width ||
      small.height > whole.height)
    return "reduced decode's size is outside [minimum, whole]";
  return "";
}

}  // namespace ms::fuzz
