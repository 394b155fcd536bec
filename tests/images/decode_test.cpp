// decode_image / encode_png against live Pillow: fixtures (JPEG in every subsampling, progressive,
// grey, CMYK; PNG in every colour type and bit depth, palettes, Adam7) are written by Pillow or by
// tests/images/pillow_reference.py, decoded by both, and compared byte for byte; plus scaled JPEG
// decoding against Pillow's draft(), cropped decodes against the whole decode cropped, hostile
// input, and the PNG encoder.
#include "images/decode.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "images/geometry.h"
#include "images/jpeg_codec.h"
#include "images/png_codec.h"
#include "images/resample.h"
#include "tests/test_support.h"

namespace ms {
namespace {

using test::TempDir;

void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// One batch of pillow_reference.py jobs, run by a single Python process.
class PillowBatch {
 public:
  explicit PillowBatch(const TempDir& dir) : dir_(dir) {}
  void add(const std::string& id, const std::string& op, const std::string& fields) {
    jobs_ += "{\"id\": \"" + id + "\", \"op\": \"" + op + "\", " + fields + "}\n";
  }
  void run() {
    const std::string jobs = dir_.write("jobs.jsonl", jobs_), results = dir_.file("results.txt");
    const std::string script = test::source_dir() + "/tests/images/pillow_reference.py";
    const auto r = test::run_command("/usr/bin/python3 " + test::shell_quote(script) + " " + test::shell_quote(jobs) +
                                     " " + test::shell_quote(results));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream in(test::read_file(results));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string id, word;
      words >> id;
      while (words >> word) results_[id].push_back(word);
    }
  }
  const std::vector<std::string>& result(const std::string& id) const { return results_.at(id); }

 private:
  const TempDir& dir_;
  std::string jobs_;
  std::map<std::string, std::vector<std::string>> results_;
};

std::string q(const std::string& s) { return "\"" + s + "\""; }

struct JpegFixture {
  std::string name, mode;
  int w, h;
  std::string options;  // extra JSON fields
};

const std::vector<JpegFixture>& jpeg_fixtures() {
  static const std::vector<JpegFixture> f = {
      {"j444", "RGB", 333, 211, "\"quality\": 90, \"subsampling\": 0"},
      {"j422", "RGB", 333, 211, "\"quality\": 85, \"subsampling\": 1"},
      {"j420", "RGB", 333, 211, "\"quality\": 75, \"subsampling\": 2"},
      {"jprog", "RGB", 333, 211, "\"quality\": 90, \"subsampling\": 2, \"progressive\": true"},
      {"jgrey", "L", 333, 211, "\"quality\": 90"},
      {"jcmyk", "CMYK", 97, 61, "\"quality\": 90"},
      {"jbig", "RGB", 640, 480, "\"quality\": 90, \"subsampling\": 2"},
      {"jsmall", "RGB", 37, 53, "\"quality\": 95, \"subsampling\": 2"},
  };
  return f;
}

// A file the reference script writes: its name, the script op and the op's JSON fields.
struct GeneratedFixture {
  std::string name, op, fields;
};

const std::vector<GeneratedFixture>& png_fixtures() {
  static const std::vector<GeneratedFixture> f = {
      {"prgb", "make_image", "\"mode\": \"RGB\", \"w\": 333, \"h\": 211"},
      {"pgrey", "make_image", "\"mode\": \"L\", \"w\": 333, \"h\": 211"},
      {"ppal", "make_image", "\"mode\": \"P\", \"w\": 123, \"h\": 77"},
      {"ppal4", "make_image", "\"mode\": \"P\", \"colors\": 16, \"bits\": 4, \"w\": 45, \"h\": 29"},
      {"prgba", "make_image", "\"mode\": \"RGBA\", \"w\": 51, \"h\": 33"},
      {"pla", "make_image", "\"mode\": \"LA\", \"w\": 51, \"h\": 33"},
      {"pbit", "make_image", "\"mode\": \"1\", \"w\": 67, \"h\": 13"},
      {"rgb16", "make_png", "\"bit_depth\": 16, \"color_type\": 2, \"w\": 61, \"h\": 37"},
      {"rgba16", "make_png", "\"bit_depth\": 16, \"color_type\": 6, \"w\": 61, \"h\": 37"},
      {"la16", "make_png", "\"bit_depth\": 16, \"color_type\": 4, \"w\": 61, \"h\": 37"},
      {"grey16", "make_png", "\"bit_depth\": 16, \"color_type\": 0, \"w\": 61, \"h\": 37"},
      {"grey1", "make_png", "\"bit_depth\": 1, \"color_type\": 0, \"w\": 67, \"h\": 13"},
      {"grey2", "make_png", "\"bit_depth\": 2, \"color_type\": 0, \"w\": 67, \"h\": 13"},
      {"grey4", "make_png", "\"bit_depth\": 4, \"color_type\": 0, \"w\": 67, \"h\": 13"},
      {"la8", "make_png", "\"bit_depth\": 8, \"color_type\": 4, \"w\": 20, \"h\": 9"},
      {"pal_short", "make_png",
       "\"bit_depth\": 4, \"color_type\": 3, \"palette_size\": 5, \"beyond_palette\": 11, \"w\": 31, \"h\": 17"},
      {"pal_trns", "make_png",
       "\"bit_depth\": 8, \"color_type\": 3, \"palette_size\": 200, \"trns\": true, "
       "\"w\": 31, \"h\": 17"},
      {"pal2_adam7", "make_png", "\"bit_depth\": 2, \"color_type\": 3, \"interlace\": true, \"w\": 45, \"h\": 29"},
      {"rgb_adam7", "make_png", "\"bit_depth\": 8, \"color_type\": 2, \"interlace\": true, \"w\": 133, \"h\": 71"},
      {"grey4_adam7", "make_png", "\"bit_depth\": 4, \"color_type\": 0, \"interlace\": true, \"w\": 45, \"h\": 29"},
      {"ours_rgb", "", ""},  // written by encode_png before the batch runs
      {"ours_grey", "", ""},
  };
  return f;
}

// Scaled decodes compared with Pillow's draft(): fixture, channels, denominator.
struct ScaledCase {
  std::string name;
  int channels, denom;
};
const std::vector<ScaledCase>& scaled_cases() {
  static const std::vector<ScaledCase> c = {{"j420", 3, 2},  {"j420", 3, 4},  {"j420", 3, 8}, {"jbig", 3, 2},
                                            {"jbig", 3, 4},  {"jbig", 3, 8},  {"jbig", 1, 2}, {"jprog", 3, 4},
                                            {"jgrey", 1, 2}, {"jgrey", 3, 4}, {"j444", 3, 8}, {"j422", 3, 2},
                                            {"jcmyk", 3, 2}, {"jsmall", 3, 2}};
  return c;
}

Image random_image(int w, int h, int channels, uint32_t seed) {
  Image im = make_image(w, h, channels);
  std::mt19937 rng(seed);
  for (auto& p : im.pixels) p = static_cast<uint8_t>(rng());
  return im;
}

size_t count_differences(const Image& a, const Image& b) {
  if (a.width != b.width || a.height != b.height || a.channels != b.channels) return SIZE_MAX;
  size_t n = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) n += a.pixels[i] != b.pixels[i];
  return n;
}

class DecodeVsPillow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    PillowBatch batch(*dir_);
    int seed = 1;
    for (const auto& f : jpeg_fixtures())
      batch.add(f.name, "make_image",
                "\"path\": " + q(path(f.name)) + ", \"format\": \"JPEG\", \"mode\": " + q(f.mode) +
                    ", \"w\": " + std::to_string(f.w) + ", \"h\": " + std::to_string(f.h) +
                    ", \"seed\": " + std::to_string(seed++) + ", " + f.options);
    batch.add("jsmooth", "make_image",
              "\"path\": " + q(path("jsmooth")) +
                  ", \"format\": \"JPEG\", \"mode\": \"RGB\", \"w\": 320, \"h\": 240, \"seed\": 99, \"smooth\": true, "
                  "\"quality\": 95, \"subsampling\": 0");
    write_bytes(path("ours_rgb"), encode_png(random_image(77, 41, 3, 5)));
    write_bytes(path("ours_grey"), encode_png(random_image(77, 41, 1, 6)));
    for (const auto& f : png_fixtures()) {
      if (f.op.empty()) continue;
      std::string fields = "\"path\": " + q(path(f.name)) + ", \"seed\": " + std::to_string(seed++) + ", " + f.fields;
      if (f.op == "make_image") fields += ", \"format\": \"PNG\"";
      batch.add(f.name, f.op, fields);
    }
    for (const auto& name : all_names())
      for (const char* mode : {"RGB", "L"})
        batch.add(name + "_" + mode, "decode",
                  "\"path\": " + q(path(name)) + ", \"mode\": " + q(mode) + ", \"out\": " + q(out(name, mode, 1)));
    for (const auto& c : scaled_cases()) {
      const std::string mode = c.channels == 3 ? "RGB" : "L";
      batch.add(c.name + "_" + mode + "_" + std::to_string(c.denom), "decode",
                "\"path\": " + q(path(c.name)) + ", \"mode\": " + q(mode) + ", \"scale\": " + std::to_string(c.denom) +
                    ", \"out\": " + q(out(c.name, mode, c.denom)));
    }
    batch.run();
    batch_ok_ = !::testing::Test::HasFatalFailure();
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override { ASSERT_TRUE(batch_ok_) << "the Pillow reference batch failed"; }

  static std::vector<std::string> all_names() {
    std::vector<std::string> names;
    for (const auto& f : jpeg_fixtures()) names.push_back(f.name);
    for (const auto& f : png_fixtures()) names.push_back(f.name);
    names.push_back("jsmooth");
    return names;
  }
  static std::string path(const std::string& name) { return dir_->file(name + ".img"); }
  static std::string out(const std::string& name, const std::string& mode, int denom) {
    return dir_->file(name + "_" + mode + "_" + std::to_string(denom) + ".raw");
  }
  // Pillow's pixels for a decode job (size from the JPEG header scaled like draft()).
  static Image pillow(const std::string& name, int channels, int denom) {
    const std::string raw = test::read_file(out(name, channels == 3 ? "RGB" : "L", denom));
    const ImageHeader h = read_image_header(test::read_file(path(name)));
    Image im = make_image((h.width + denom - 1) / denom, (h.height + denom - 1) / denom, channels);
    EXPECT_EQ(raw.size(), im.pixels.size()) << name;
    if (raw.size() == im.pixels.size()) im.pixels.assign(raw.begin(), raw.end());
    return im;
  }

  // A damaged-file case: the file `name`, with Pillow's verdict asked in `batch`.
  static void add_verdict_case(PillowBatch& batch, const std::string& name, std::vector<std::string>& cases) {
    batch.add(name, "decode_or_refuse",
              "\"path\": " + q(path(name)) + ", \"mode\": \"RGB\", \"out\": " + q(out(name, "RGB", 1)));
    cases.push_back(name);
  }
  // The same for `bytes`, written as `name`.
  static void add_verdict_case(PillowBatch& batch, const std::string& name, const std::string& bytes,
                               std::vector<std::string>& cases) {
    write_bytes(path(name), bytes);
    add_verdict_case(batch, name, cases);
  }
  // Each case decodes exactly when Pillow decoded it (the batch has run), to Pillow's pixels, and is
  // refused (any exception decode_image documents) when Pillow refused it. Prints and returns how
  // many decoded and how many were refused.
  static std::pair<int, int> expect_pillow_verdicts(const PillowBatch& batch, const std::vector<std::string>& cases,
                                                    const char* what) {
    int decoded = 0, refused = 0;
    for (const auto& name : cases) {
      const std::string bytes = test::read_file(path(name));
      if (batch.result(name).at(0) == "refused") {
        ++refused;
        try {
          decode_image(bytes, 3);
          ADD_FAILURE() << name << ": decodes, where Pillow refuses it";
        } catch (const std::runtime_error&) {
        } catch (const std::invalid_argument&) {
        }
      } else {
        ++decoded;
        Image ours;
        try {
          ours = decode_image(bytes, 3);
        } catch (const std::exception& e) {
          ADD_FAILURE() << name << ": refused (" << e.what() << "), where Pillow decodes it";
          continue;
        }
        EXPECT_EQ(count_differences(ours, pillow(name, 3, 1)), 0u) << name;
      }
    }
    std::printf("  %s: %d decoded, %d refused, as Pillow did\n", what, decoded, refused);
    return {decoded, refused};
  }

  static std::unique_ptr<TempDir> dir_;
  static bool batch_ok_;
};
std::unique_ptr<TempDir> DecodeVsPillow::dir_;
bool DecodeVsPillow::batch_ok_ = false;

TEST_F(DecodeVsPillow, EveryFixtureDecodesLikePillowConvert) {
  for (const auto& name : all_names()) {
    const std::string bytes = test::read_file(path(name));
    for (int channels : {3, 1}) {
      const Image ours = decode_image(bytes, channels);
      const Image theirs = pillow(name, channels, 1);
      EXPECT_EQ(ours.width, theirs.width) << name;
      EXPECT_EQ(ours.height, theirs.height) << name;
      EXPECT_EQ(count_differences(ours, theirs), 0u) << name << " channels=" << channels;
    }
  }
}

TEST_F(DecodeVsPillow, ScaledJpegMatchesPillowDraft) {
  for (const auto& c : scaled_cases()) {
    const std::string bytes = test::read_file(path(c.name));
    const ImageHeader h = read_image_header(bytes);
    const int min_w = (h.width + c.denom - 1) / c.denom, min_h = (h.height + c.denom - 1) / c.denom;
    const JpegScale s = choose_jpeg_scale(h.width, h.height, min_w, min_h);
    ASSERT_EQ(s.num * c.denom, s.denom) << c.name << " 1/" << c.denom;
    DecodeOptions o;
    o.channels = c.channels, o.min_width = min_w, o.min_height = min_h;
    const Image ours = decode_image(bytes, o);
    EXPECT_EQ(ours.width, min_w);
    EXPECT_EQ(ours.height, min_h);
    EXPECT_EQ(count_differences(ours, pillow(c.name, c.channels, c.denom)), 0u) << c.name << " 1/" << c.denom;
  }
}

// Factors Pillow's draft() cannot produce (3/8, 5/8, 3/4, 7/8): right size, and close to Pillow's
// full decode resized to that size.
TEST_F(DecodeVsPillow, ScaledJpegAtOtherFactorsApproximatesResizedDecode) {
  const std::string bytes = test::read_file(path("jsmooth"));
  const Image full = pillow("jsmooth", 3, 1);
  for (int m : {3, 5, 6, 7}) {
    const int w = (320 * m + 7) / 8, h = (240 * m + 7) / 8;
    const JpegScale s = choose_jpeg_scale(320, 240, w, h);
    EXPECT_EQ(s.num * 8, m * s.denom) << m;
    const Image ours = decode_image(bytes, 3, w, h);
    ASSERT_EQ(ours.width, w);
    ASSERT_EQ(ours.height, h);
    const Image reference = resize(full, w, h, Filter::Bilinear);
    double total = 0;
    for (size_t i = 0; i < ours.pixels.size(); ++i) total += std::abs(ours.pixels[i] - reference.pixels[i]);
    EXPECT_LT(total / static_cast<double>(ours.pixels.size()), 2.5) << m << "/8";
  }
}

TEST_F(DecodeVsPillow, HeadersMatchFixtureSizes) {
  for (const auto& f : jpeg_fixtures()) {
    const ImageHeader h = read_image_header(test::read_file(path(f.name)));
    EXPECT_EQ(h.format, ImageFormat::Jpeg);
    EXPECT_EQ(h.width, f.w);
    EXPECT_EQ(h.height, f.h);
  }
  const ImageHeader p = read_image_header(test::read_file(path("rgb_adam7")));
  EXPECT_EQ(p.format, ImageFormat::Png);
  EXPECT_EQ(p.width, 133);
  EXPECT_EQ(p.height, 71);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string expect_error(const std::string& bytes, int channels = 3) {
  try {
    decode_image(bytes, channels);
  } catch (const std::exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "decoding did not throw";
  return "";
}

TEST_F(DecodeVsPillow, TruncatedAndCorruptInputsThrowClearErrors) {
  const std::string jpeg = test::read_file(path("j420")), prog = test::read_file(path("jprog")),
                    png = test::read_file(path("prgb"));
  EXPECT_PRED2(starts_with, expect_error(jpeg.substr(0, jpeg.size() / 2)), "truncated JPEG");
  EXPECT_PRED2(starts_with, expect_error(prog.substr(0, prog.size() / 2)), "truncated JPEG");
  EXPECT_PRED2(starts_with, expect_error(jpeg.substr(0, 40)), "truncated JPEG");
  EXPECT_NE(expect_error(std::string("\xff\xd8\xff\xd9", 4)).find(" JPEG"), std::string::npos);  // SOI, EOI
  EXPECT_PRED2(starts_with, expect_error(jpeg.substr(0, 3) + std::string(500, '\x07')), "corrupt JPEG: ");
  EXPECT_EQ(expect_error(png.substr(0, png.size() / 2)), "truncated PNG");
  EXPECT_EQ(expect_error(png.substr(0, 30)), "truncated PNG");
  std::string bad_crc = png;
  bad_crc[bad_crc.size() / 2] ^= 0x55;
  EXPECT_PRED2(starts_with, expect_error(bad_crc), "corrupt PNG: ");
  // A wrong IDAT checksum (its data intact) decodes as Pillow decodes it, never checking IDAT CRCs;
  // a wrong IHDR checksum is refused, as Pillow refuses it.
  const size_t idat = png.find("IDAT"), ihdr = png.find("IHDR");
  ASSERT_NE(idat, std::string::npos);
  const size_t idat_length = (size_t(uint8_t(png[idat - 4])) << 24) | (size_t(uint8_t(png[idat - 3])) << 16) |
                             (size_t(uint8_t(png[idat - 2])) << 8) | size_t(uint8_t(png[idat - 1]));
  std::string idat_crc = png, ihdr_crc = png;
  idat_crc[idat + 4 + idat_length] ^= 0x55;
  ihdr_crc[ihdr + 4 + 13] ^= 0x55;
  EXPECT_EQ(decode_image(idat_crc, 3).pixels, decode_image(png, 3).pixels);
  EXPECT_PRED2(starts_with, expect_error(ihdr_crc), "corrupt PNG: ");
  EXPECT_EQ(expect_error("GIF89a........"),
            "a GIF image: metasweep decodes JPEG and PNG only, by content whatever the file's name (Pillow, hence "
            "torchvision, would read it: convert it to PNG)");
  EXPECT_EQ(expect_error(""), "an empty file, not an image");
  EXPECT_EQ(expect_error("<html>not found</html>"), "unrecognised image format (neither JPEG nor PNG)");
  EXPECT_THROW(decode_image(jpeg, 2), std::invalid_argument);
  EXPECT_THROW(read_image_header("\xff\xd8\xff"), std::runtime_error);
  EXPECT_PRED2(starts_with, expect_error("\xff\xd8\xff"), "truncated JPEG");
}

// A file Pillow reads in another format (a scraped dataset's GIF or WebP named .jpg) is named by
// its format, written here by Pillow itself, so that the user knows what to convert.
TEST(Decode, OtherFormatsPillowReadsAreNamed) {
  test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> formats = {
      {"GIF", "GIF"}, {"BMP", "BMP"}, {"TIFF", "TIFF"}, {"PPM", "PNM (PBM/PGM/PPM)"}, {"WEBP", "WebP"},
      {"JPEG2000", "JPEG 2000"}};
  std::string script = "from PIL import Image\nimport sys\nim = Image.new('RGB', (12, 9), (200, 30, 40))\n";
  for (const auto& [pillow, name] : formats)
    script += "im.save(sys.argv[1] + '/" + pillow + ".jpg', '" + pillow + "')\n";
  const auto r = test::run_command("/usr/bin/python3 " + test::shell_quote(dir.write("write.py", script)) + " " +
                                   test::shell_quote(dir.path()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& [pillow, name] : formats) {
    const std::string bytes = test::read_file(dir.file(pillow + ".jpg"));
    try {
      decode_image(bytes, 3);
      ADD_FAILURE() << pillow << " decoded";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("a " + name + " image: metasweep decodes JPEG and PNG only", 0), 0u)
          << pillow << ": " << e.what();
    }
  }
}

// Every PNG fixture cut anywhere in its last 28 bytes (IEND, the last IDAT's CRC, the zlib checksum,
// the end of the compressed scanlines): decoded exactly when Pillow decodes it, to the same pixels.
// Pillow stops reading once its decoder has every row; a file cut after them is a whole image.
TEST_F(DecodeVsPillow, PngCutNearItsEndDecodesWhenPillowDoesToTheSamePixels) {
  // Two more layouts: the stream's last 6 bytes in an IDAT of their own, and a tEXt chunk after the
  // image data (Pillow reads the chunks after the last row up to IEND and fails on one cut short).
  std::vector<std::string> names;
  for (const auto& f : png_fixtures()) names.push_back(f.name);
  {
    PillowBatch make(*dir_);
    make.add("split_idat", "make_png",
             "\"path\": " + q(path("split_idat")) +
                 ", \"seed\": 801, \"idat_split\": 6, \"bit_depth\": 8, "
                 "\"color_type\": 2, \"w\": 13, \"h\": 7");
    make.add("text_after", "make_png",
             "\"path\": " + q(path("text_after")) +
                 ", \"seed\": 802, \"text_after\": true, \"bit_depth\": 8, "
                 "\"color_type\": 2, \"w\": 13, \"h\": 7");
    make.run();
    ASSERT_FALSE(HasFatalFailure());
    names.insert(names.end(), {"split_idat", "text_after"});
  }
  PillowBatch batch(*dir_);
  std::vector<std::string> cases;
  for (const auto& name : names) {
    const std::string bytes = test::read_file(path(name));
    for (size_t cut = bytes.size() - 28; cut < bytes.size(); ++cut)
      add_verdict_case(batch, name + "_cut" + std::to_string(cut), bytes.substr(0, cut), cases);
  }
  batch.run();
  ASSERT_FALSE(HasFatalFailure());
  const auto [decoded, refused] = expect_pillow_verdicts(batch, cases, "PNG cuts");
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

// PNGs whose compressed data ends early (a complete zlib stream of fewer scanline bytes than the
// image has), in several colour types, bit depths and Adam7: Pillow decodes one that ends after a
// whole row, the rows not reached as zeros, and refuses one that ends inside a row or holds no row.
TEST_F(DecodeVsPillow, PngWhoseImageDataEndsEarlyDecodesWhenPillowDoesToTheSamePixels) {
  struct Kind {
    std::string name, fields;
    int row_bytes, rows;  // of the first pass
  };
  const std::vector<Kind> kinds = {
      {"rgb8", "\"bit_depth\": 8, \"color_type\": 2, \"w\": 17, \"h\": 11", 1 + 17 * 3, 11},
      {"pal4", "\"bit_depth\": 4, \"color_type\": 3, \"palette_size\": 9, \"w\": 17, \"h\": 11", 1 + 9, 11},
      {"grey16", "\"bit_depth\": 16, \"color_type\": 0, \"w\": 17, \"h\": 11", 1 + 34, 11},
      {"la8", "\"bit_depth\": 8, \"color_type\": 4, \"w\": 17, \"h\": 11", 1 + 34, 11},
      {"rgb8_adam7", "\"bit_depth\": 8, \"color_type\": 2, \"interlace\": true, \"w\": 17, \"h\": 11", 1 + 3 * 3, 2},
  };
  PillowBatch batch(*dir_);
  std::vector<std::string> cases;
  int seed = 500;
  for (const auto& k : kinds) {
    // no row, one row, a row and a half, all but the last row, and further into Adam7's passes
    std::vector<int> raws = {0, k.row_bytes, k.row_bytes + k.row_bytes / 2, k.row_bytes * (k.rows - 1), 60, 100};
    std::sort(raws.begin(), raws.end());
    raws.erase(std::unique(raws.begin(), raws.end()), raws.end());
    for (int raw : raws) {
      const std::string name = "early_" + k.name + "_" + std::to_string(raw);
      batch.add(name + "_make", "make_png",
                "\"path\": " + q(path(name)) + ", \"seed\": " + std::to_string(seed++) +
                    ", \"raw_bytes\": " + std::to_string(raw) + ", " + k.fields);
      add_verdict_case(batch, name, cases);  // (the batch writes the file first)
    }
  }
  batch.run();
  ASSERT_FALSE(HasFatalFailure());
  const auto [decoded, refused] = expect_pillow_verdicts(batch, cases, "PNGs ending early");
  EXPECT_GT(decoded, 5);
  EXPECT_GT(refused, 2);
}

// Small files with one bit flipped at each byte in turn -- PNGs (a 4-bit palette with tRNS, Adam7
// RGB, RGB with a tEXt and an unknown ancillary chunk) and JPEGs (baseline 4:2:0, progressive,
// grey) -- each decode exactly when Pillow decodes them, to the same pixels. This holds libpng's and
// libjpeg's verdicts to Pillow's where they differ: a wrong checksum in an ancillary PNG chunk
// before the image data (Pillow refuses it; libpng would drop the chunk), a damaged IDAT length
// after the last row, a damaged JPEG end marker (Pillow has every row by then).
TEST_F(DecodeVsPillow, FilesWithABitFlippedAnywhereDecodeWhenPillowDoesToTheSamePixels) {
  const std::vector<GeneratedFixture> bases = {
      {"flip_pal", "make_png",
       "\"bit_depth\": 4, \"color_type\": 3, \"palette_size\": 9, \"trns\": true, \"w\": 23, \"h\": 13"},
      {"flip_adam7", "make_png", "\"bit_depth\": 8, \"color_type\": 2, \"interlace\": true, \"w\": 11, \"h\": 7"},
      {"flip_text", "make_png", "\"bit_depth\": 8, \"color_type\": 2, \"text_chunks\": true, \"w\": 5, \"h\": 5"},
      {"flip_j420", "make_image",
       "\"format\": \"JPEG\", \"mode\": \"RGB\", \"quality\": 80, \"subsampling\": 2, \"w\": 19, \"h\": 13"},
      {"flip_jprog", "make_image",
       "\"format\": \"JPEG\", \"mode\": \"RGB\", \"quality\": 80, \"subsampling\": 2, \"progressive\": true, \"w\": "
       "19, \"h\": 13"},
      {"flip_jgrey", "make_image", "\"format\": \"JPEG\", \"mode\": \"L\", \"quality\": 80, \"w\": 19, \"h\": 13"}};
  {
    PillowBatch make(*dir_);
    int seed = 700;
    for (const GeneratedFixture& base : bases)
      make.add(base.name, base.op,
               "\"path\": " + q(path(base.name)) + ", \"seed\": " + std::to_string(seed++) + ", " + base.fields);
    make.run();
    ASSERT_FALSE(HasFatalFailure());
  }
  PillowBatch batch(*dir_);
  std::vector<std::string> png_cases, jpeg_cases;
  for (const GeneratedFixture& base : bases) {
    const std::string bytes = test::read_file(path(base.name));
    auto& cases = base.op == "make_png" ? png_cases : jpeg_cases;
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string flipped = bytes;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << (i % 8)));
      add_verdict_case(batch, base.name + "_" + std::to_string(i), flipped, cases);
    }
  }
  batch.run();
  ASSERT_FALSE(HasFatalFailure());
  const auto [png_decoded, png_refused] = expect_pillow_verdicts(batch, png_cases, "PNG flips");
  const auto [jpeg_decoded, jpeg_refused] = expect_pillow_verdicts(batch, jpeg_cases, "JPEG flips");
  EXPECT_GT(png_decoded, 50);
  EXPECT_GT(png_refused, 50);
  EXPECT_GT(jpeg_decoded, 50);
  EXPECT_GT(jpeg_refused, 10);
}

TEST_F(DecodeVsPillow, HostilePngHeadersAreRefusedBeforeAllocating) {
  std::string png = test::read_file(path("prgb"));
  auto set_size = [](std::string s, uint32_t w, uint32_t h) {
    for (int i = 0; i < 4; ++i) {
      s[16 + i] = static_cast<char>(w >> (24 - 8 * i));
      s[20 + i] = static_cast<char>(h >> (24 - 8 * i));
    }
    return s;
  };
  EXPECT_THROW(decode_image(set_size(png, 1u << 21, 10)), std::invalid_argument);  // beyond kMaxImageSide
  EXPECT_THROW(decode_image(set_size(png, 30000, 30000)), std::invalid_argument);  // 900 Mpx: a decompression bomb
  EXPECT_THROW(decode_image(set_size(png, 20000, 20000).substr(0, 100)), std::invalid_argument);
  EXPECT_EQ(expect_error(set_size(png, 13000, 13000).substr(0, 100)), "truncated PNG");  // 169 Mpx in 100 bytes
  EXPECT_PRED2(starts_with, expect_error(set_size(png, 0, 5)), "corrupt PNG");
}

// Random byte flips, insertions and truncations: every outcome is an image or an exception.
TEST_F(DecodeVsPillow, MutatedFilesNeverCrash) {
  std::mt19937 rng(1234);
  int decoded = 0, refused = 0;
  for (const char* name : {"j420", "jprog", "jgrey", "jcmyk", "prgb", "ppal4", "rgb_adam7", "grey16"}) {
    const std::string original = test::read_file(path(name));
    for (int trial = 0; trial < 60; ++trial) {
      std::string bytes = original;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t at = rng() % bytes.size();
        switch (rng() % 3) {
          case 0:
            bytes[at] = static_cast<char>(rng());
            break;
          case 1:
            bytes.insert(at, 1, static_cast<char>(rng()));
            break;
          default:
            bytes.resize(std::max<size_t>(at, 4));
        }
      }
      DecodeOptions o;
      o.channels = trial % 2 ? 1 : 3, o.min_width = trial % 3 ? 0 : 40;
      std::string outcome;
      Image whole;
      try {
        whole = decode_image(bytes, o);
        EXPECT_EQ(whole.pixels.size(), whole.row_bytes() * static_cast<size_t>(whole.height));
        ++decoded;
      } catch (const std::exception& e) {
        outcome = e.what();
        EXPECT_NE(outcome, "");
        ++refused;
      }
      // The same file cropped: the same outcome, and the whole decode's pixels.
      ImageHeader h;
      try {
        h = read_image_header(bytes);
      } catch (const std::exception&) {
        continue;
      }
      if (h.width > kMaxImageSide || h.height > kMaxImageSide) continue;
      o.crop = {h.height / 3, h.width / 4, std::max(1, h.height / 3), std::max(1, h.width / 2)};
      try {
        const Image part = decode_image(bytes, o);
        EXPECT_EQ(outcome, "") << name << " trial " << trial << ": only the crop decode succeeded";
        if (outcome.empty()) {
          EXPECT_EQ(count_differences(
                        part, crop(whole, scale_crop_rect(o.crop, h.width, h.height, whole.width, whole.height))),
                    0u)
              << name << " trial " << trial;
        }
      } catch (const std::exception& e) {
        EXPECT_EQ(std::string(e.what()), outcome) << name << " trial " << trial;
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(decoded, 0);
}

// Rectangles of a width × height image: corners, edges, single pixels and rows, sides on and off
// 8- and 16-pixel (iMCU) boundaries, the whole image, and random ones.
std::vector<CropRect> crop_cases(int width, int height, std::mt19937& rng) {
  std::vector<CropRect> rects = {{0, 0, height, width},
                                 {0, 0, 1, 1},
                                 {height - 1, width - 1, 1, 1},
                                 {0, 0, height, 1},
                                 {0, width - 1, height, 1},
                                 {height / 2, 0, 1, width},
                                 {0, 0, std::min(height, 16), std::min(width, 16)}};
  for (int edge : {8, 16, 17, 15, 32})
    if (edge < width && edge < height)
      rects.push_back({edge, edge, std::min(height - edge, edge), std::min(width - edge, 2 * edge)});
  for (int i = 0; i < 30; ++i) {
    CropRect r;
    r.width = 1 + static_cast<int>(rng() % static_cast<unsigned>(width));
    r.height = 1 + static_cast<int>(rng() % static_cast<unsigned>(height));
    r.left = static_cast<int>(rng() % static_cast<unsigned>(width - r.width + 1));
    r.top = static_cast<int>(rng() % static_cast<unsigned>(height - r.height + 1));
    rects.push_back(r);
  }
  return rects;
}

// Every fixture, both channel counts, every DCT reduction: the crop decode (libjpeg's
// crop_scanline/skip_scanlines for JPEG) gives exactly the whole decode's pixels of the rectangle,
// and at full size exactly Pillow's.
TEST_F(DecodeVsPillow, CroppedDecodeEqualsTheWholeDecodeCropped) {
  std::mt19937 rng(77);
  int compared = 0;
  for (const auto& name : all_names()) {
    const std::string bytes = test::read_file(path(name));
    const ImageHeader h = read_image_header(bytes);
    for (int channels : {3, 1})
      for (int denom : {1, 2, 4, 8}) {
        if (denom > 1 && h.format != ImageFormat::Jpeg) continue;
        DecodeOptions whole;
        whole.channels = channels;
        whole.min_width = denom > 1 ? (h.width + denom - 1) / denom : 0;
        whole.min_height = denom > 1 ? (h.height + denom - 1) / denom : 0;
        const Image all = decode_image(bytes, whole);
        const Image reference = denom == 1 ? pillow(name, channels, 1) : all;
        for (const CropRect& rect : crop_cases(h.width, h.height, rng)) {
          DecodeOptions o = whole;
          o.crop = rect;
          const Image ours = decode_image(bytes, o);
          const CropRect scaled = scale_crop_rect(rect, h.width, h.height, all.width, all.height);
          ASSERT_EQ(count_differences(ours, crop(reference, scaled)), 0u)
              << name << " channels=" << channels << " 1/" << denom << " crop " << rect.width << "x" << rect.height
              << "+" << rect.left << "+" << rect.top;
          ++compared;
        }
      }
  }
  EXPECT_GT(compared, 2500);
}

TEST(ScaleCropRect, MapsARectangleIntoTheReducedPixels) {
  const CropRect r{100, 50, 200, 300};  // top, left, height, width of a 640x480 image
  EXPECT_EQ(scale_crop_rect(r, 640, 480, 640, 480), r);
  EXPECT_EQ(scale_crop_rect(r, 640, 480, 320, 240), (CropRect{50, 25, 100, 150}));
  EXPECT_EQ(scale_crop_rect({479, 639, 1, 1}, 640, 480, 80, 60), (CropRect{59, 79, 1, 1}));  // stays inside
  EXPECT_EQ(scale_crop_rect({0, 0, 3, 3}, 333, 211, 42, 27), (CropRect{0, 0, 1, 1}));        // at least a pixel
  EXPECT_EQ(scale_crop_rect({7, 9, 100, 99}, 333, 211, 167, 106).width, 50);                 // lround(99 / 2)
}

// A crop decode reads the file to its end like the whole decode: a truncation or corruption below
// the rectangle fails it the same way, whatever rows it covers.
TEST_F(DecodeVsPillow, CroppedDecodeFailsLikeTheWholeDecode) {
  DecodeOptions top_rows;
  top_rows.crop = {0, 10, 20, 100};
  for (const char* name : {"j420", "jprog", "jgrey", "j444"}) {
    const std::string bytes = test::read_file(path(name));
    for (double keep : {0.5, 0.9}) {
      const std::string cut = bytes.substr(0, static_cast<size_t>(static_cast<double>(bytes.size()) * keep));
      try {
        decode_image(cut, top_rows);
        ADD_FAILURE() << name << " cut to " << keep << ": the crop decode did not throw";
      } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), expect_error(cut)) << name;
      }
    }
  }
  const std::string jpeg = test::read_file(path("j420")), png = test::read_file(path("prgb"));
  for (const std::string* bytes : {&jpeg, &png}) {
    DecodeOptions o;
    for (CropRect bad :
         {CropRect{0, 0, 10, 334}, CropRect{205, 0, 7, 10}, CropRect{-1, 0, 5, 5}, CropRect{0, 0, 0, 5}}) {
      o.crop = bad;
      EXPECT_THROW(decode_image(*bytes, o), std::invalid_argument);
    }
  }
}

TEST(ChooseJpegScale, PicksTheSmallestFactorStillCoveringTheMinimum) {
  auto pick = [](int w, int h, int mw, int mh) {
    const JpegScale s = choose_jpeg_scale(w, h, mw, mh);
    return std::to_string(s.num) + "/" + std::to_string(s.denom);
  };
  EXPECT_EQ(pick(333, 211, 0, 0), "1/1");
  EXPECT_EQ(pick(333, 211, 80, 50), "1/4");  // 84×53
  EXPECT_EQ(pick(333, 211, 85, 0), "3/8");   // 125×80
  EXPECT_EQ(pick(333, 211, 0, 54), "3/8");   // height decides
  EXPECT_EQ(pick(333, 211, 42, 27), "1/8");  // 42×27 exactly
  EXPECT_EQ(pick(333, 211, 43, 0), "1/4");
  EXPECT_EQ(pick(333, 211, 300, 0), "1/1");  // 7/8 gives 292 < 300
  EXPECT_EQ(pick(333, 211, 292, 0), "7/8");
  EXPECT_EQ(pick(333, 211, 293, 0), "1/1");
  EXPECT_EQ(pick(333, 211, 1000, 1000), "1/1");  // never upscales
  EXPECT_EQ(pick(3, 3, 3, 3), "1/1");            // 7/8 also gives 3×3; TurboJPEG would use 1/1
}

TEST(EncodePng, RoundTripsGreyAndRgb) {
  for (int channels : {1, 3}) {
    const Image im = random_image(123, 45, channels, 7);
    const std::string png = encode_png(im);
    EXPECT_EQ(detect_image_format(png), ImageFormat::Png);
    const Image back = decode_image(png, channels);
    EXPECT_EQ(back.width, 123);
    EXPECT_EQ(back.height, 45);
    EXPECT_EQ(back.pixels, im.pixels);
  }
  Image bad = make_image(4, 4, 3);
  bad.pixels.resize(5);
  EXPECT_THROW(encode_png(bad), std::invalid_argument);
}

TEST(PillowLuma, UsesPillowsFixedPointFormula) {
  // L24: (19595 R + 38470 G + 7471 B + 0x8000) >> 16, not R*299/1000 + ... truncated.
  EXPECT_EQ(pillow_luma(255, 255, 255), 255);
  EXPECT_EQ(pillow_luma(0, 0, 0), 0);
  EXPECT_EQ(pillow_luma(255, 0, 0), 76);   // 76.24
  EXPECT_EQ(pillow_luma(0, 255, 0), 150);  // 149.69: rounded, where 587/1000 truncation would give 149
  EXPECT_EQ(pillow_luma(0, 0, 255), 29);
}

}  // namespace
}  // namespace ms
