// Crops, flips and the torchvision transforms: center crop (with its padding and Python rounding),
// Resize(shorter) + CenterCrop evaluation and resized_crop against Pillow running torchvision's
// code (transcribed in pillow_reference.py); RandomResizedCrop parameters against the transcribed
// get_params for identical draws, and their statistics over many seeded draws.
#include "images/geometry.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/images/image_test_util.h"
#include "tests/test_support.h"

namespace ms {
namespace {

using test::number;
using test::test_image;

using test::TempDir;

std::string rect_text(const CropRect& r) {
  return std::to_string(r.top) + " " + std::to_string(r.left) + " " + std::to_string(r.height) + " " +
         std::to_string(r.width);
}

TEST(Crop, CopiesTheRectangleAndChecksBounds) {
  const Image im = test_image(40, 30, 3, 1);
  const Image c = crop(im, 5, 7, 20, 10);
  ASSERT_EQ(c.width, 20);
  ASSERT_EQ(c.height, 10);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 20; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        ASSERT_EQ(c.at(x, y, ch), im.at(x + 5, y + 7, ch));
      }
  EXPECT_EQ(crop(im, 0, 0, 40, 30).pixels, im.pixels);
  EXPECT_THROW(crop(im, 21, 0, 20, 10), std::out_of_range);
  EXPECT_THROW(crop(im, 0, 21, 20, 10), std::out_of_range);
  EXPECT_THROW(crop(im, -1, 0, 20, 10), std::out_of_range);
  EXPECT_THROW(crop(im, 0, 0, 0, 10), std::out_of_range);
  EXPECT_THROW(crop(im, 2147483600, 0, 100, 10), std::out_of_range);  // no overflow in the check
}

TEST(Hflip, MirrorsEachRow) {
  for (int channels : {1, 3}) {
    const Image im = test_image(17, 5, channels, 2);
    const Image f = hflip(im);
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 17; ++x)
        for (int c = 0; c < channels; ++c) {
          ASSERT_EQ(f.at(x, y, c), im.at(16 - x, y, c));
        }
    EXPECT_EQ(hflip(f).pixels, im.pixels);
  }
}

TEST(CenterCropRect, RoundsHalfToEvenAndPadsLikeTorchvision) {
  EXPECT_EQ(rect_text(center_crop_rect(256, 256, 224, 224)), "16 16 224 224");
  EXPECT_EQ(rect_text(center_crop_rect(249, 250, 224, 224)), "13 12 224 224");  // round(12.5) = 12, 13
  EXPECT_EQ(rect_text(center_crop_rect(251, 252, 224, 224)), "14 14 224 224");  // round(13.5) = 14
  EXPECT_EQ(rect_text(center_crop_rect(333, 211, 224, 224)), "-6 54 224 224");  // pad 6 above; round(54.5)
  EXPECT_EQ(rect_text(center_crop_rect(10, 10, 13, 13)), "-1 -1 13 13");
  EXPECT_THROW(center_crop_rect(10, 10, 0, 5), std::invalid_argument);
}

TEST(ResizeShorter, KeepsAspectWithTorchvisionTruncation) {
  auto text = [](Size s) { return std::to_string(s.width) + "x" + std::to_string(s.height); };
  EXPECT_EQ(text(resize_shorter_size(500, 375, 248)), "330x248");  // 330.67 truncated
  EXPECT_EQ(text(resize_shorter_size(375, 500, 248)), "248x330");
  EXPECT_EQ(text(resize_shorter_size(333, 211, 248)), "391x248");
  EXPECT_EQ(text(resize_shorter_size(248, 1000, 248)), "248x1000");
  EXPECT_EQ(text(resize_shorter_size(300, 300, 248)), "248x248");
  EXPECT_EQ(eval_resize_size(224), 248);
  EXPECT_EQ(eval_resize_size(224, 0.95), 235);
  EXPECT_EQ(eval_resize_size(224, 0.875), 256);
  EXPECT_EQ(eval_resize_size(384, 1.0), 384);
  EXPECT_THROW(eval_resize_size(224, 0.0), std::invalid_argument);
}

// Pillow comparisons: evaluation transform, center crop with padding, resized_crop.
struct PillowCase {
  std::string op;  // eval | center_crop | resize (crop then resize)
  int src_w, src_h, channels;
  int a = 0, b = 0;  // eval: crop size; center_crop: crop w, h; resize: output w, h
  Filter filter = Filter::Bicubic;
  double crop_pct = 0.9;
  CropRect rect;  // resize only
};

PillowCase pcase(const std::string& op, int src_w, int src_h, int channels, int a, int b,
                 Filter filter = Filter::Bicubic, double crop_pct = 0.9) {
  PillowCase c;
  c.op = op, c.src_w = src_w, c.src_h = src_h, c.channels = channels, c.a = a, c.b = b;
  c.filter = filter, c.crop_pct = crop_pct;
  return c;
}

const std::vector<PillowCase>& pillow_cases() {
  static const std::vector<PillowCase> c = [] {
    std::vector<PillowCase> v;
    v.push_back(pcase("eval", 500, 375, 3, 224, 0, Filter::Bicubic));
    v.push_back(pcase("eval", 333, 211, 3, 224, 0, Filter::Bicubic));
    v.push_back(pcase("eval", 211, 333, 1, 224, 0, Filter::Bilinear));
    v.push_back(pcase("eval", 248, 300, 3, 224, 0, Filter::Bicubic));  // shorter side already 248: no resize
    v.push_back(pcase("eval", 100, 80, 3, 224, 0, Filter::Bicubic));   // upscaled
    v.push_back(pcase("eval", 640, 480, 3, 224, 0, Filter::Bilinear, 0.95));
    v.push_back(pcase("center_crop", 333, 211, 3, 224, 224));
    v.push_back(pcase("center_crop", 250, 250, 1, 225, 224));
    v.push_back(pcase("center_crop", 100, 50, 3, 120, 61));
    v.push_back(pcase("center_crop", 300, 200, 3, 299, 199));
    PillowCase rc = pcase("resize", 500, 375, 3, 224, 224, Filter::Bicubic);
    rc.rect = CropRect{20, 33, 200, 300};
    v.push_back(rc);
    rc.filter = Filter::Bilinear;
    v.push_back(rc);
    rc.rect = CropRect{0, 0, 375, 500};
    v.push_back(rc);
    PillowCase small = pcase("resize", 37, 53, 1, 128, 100, Filter::Bicubic);
    small.rect = CropRect{3, 2, 40, 30};
    v.push_back(small);
    return v;
  }();
  return c;
}

// RandomResizedCrop draws compared with the Python transcription: image sizes and options.
struct RrcCase {
  int w, h;
  RandomResizedCropOptions options;
};
std::vector<RrcCase> rrc_cases() {
  std::vector<RrcCase> v;
  for (auto [w, h] : {std::pair{500, 375}, std::pair{64, 64}, std::pair{1000, 10}, std::pair{10, 1000}, std::pair{1, 1},
                      std::pair{2, 3}, std::pair{333, 211}})
    v.push_back({w, h, {}});
  RandomResizedCropOptions wide;
  wide.scale_min = 0.5, wide.scale_max = 1.0, wide.ratio_min = 0.2, wide.ratio_max = 5.0;
  v.push_back({500, 375, wide});
  v.push_back({40, 400, wide});
  RandomResizedCropOptions from_zero;  // scale 0 allowed, as torchvision: empty draws retry, then the fallback
  from_zero.scale_min = 0.0, from_zero.scale_max = 0.02;
  v.push_back({64, 64, from_zero});
  v.push_back({2, 3, from_zero});
  return v;
}
constexpr int kRrcDrawSets = 40;

class GeometryVsPillow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    draws_ = new std::vector<std::vector<double>>;
    results_ = new std::map<std::string, std::string>;
    std::string jobs;
    const auto& cases = pillow_cases();
    for (size_t i = 0; i < cases.size(); ++i) {
      const PillowCase& c = cases[i];
      const Image im = test_image(c.src_w, c.src_h, c.channels, static_cast<uint32_t>(100 + i));
      std::ofstream(in(i), std::ios::binary)
          .write(reinterpret_cast<const char*>(im.pixels.data()), static_cast<std::streamsize>(im.pixels.size()));
      jobs += "{\"id\": \"g" + std::to_string(i) + "\", \"op\": \"" + c.op + "\", \"in\": \"" + in(i) +
              "\", \"out\": \"" + out(i) + "\", \"w\": " + std::to_string(c.src_w) +
              ", \"h\": " + std::to_string(c.src_h) + ", \"mode\": \"" + (c.channels == 3 ? "RGB" : "L") +
              "\", \"filter\": \"" + (c.filter == Filter::Bicubic ? "bicubic" : "bilinear") + "\"";
      if (c.op == "eval")
        jobs += ", \"crop\": " + std::to_string(c.a) + ", \"crop_pct\": " + number(c.crop_pct);
      else if (c.op == "center_crop")
        jobs += ", \"cw\": " + std::to_string(c.a) + ", \"ch\": " + std::to_string(c.b);
      else
        jobs += ", \"size\": [" + std::to_string(c.a) + ", " + std::to_string(c.b) + "], \"crop\": [" +
                std::to_string(c.rect.left) + ", " + std::to_string(c.rect.top) + ", " +
                std::to_string(c.rect.left + c.rect.width) + ", " + std::to_string(c.rect.top + c.rect.height) + "]";
      jobs += "}\n";
    }
    std::mt19937_64 rng(2024);
    const auto rcases = rrc_cases();
    for (size_t k = 0; k < rcases.size(); ++k)
      for (int s = 0; s < kRrcDrawSets; ++s) {
        std::vector<double> d;
        // Mostly uniform draws; some sets push every attempt out of range to reach the fallback.
        for (int i = 0; i < 22; ++i) d.push_back(s % 5 == 4 && i < 20 ? 0.999 : (rng() >> 11) * 0x1.0p-53);
        std::string list;
        for (double x : d) list += (list.empty() ? "" : ", ") + number(x);
        const RandomResizedCropOptions& o = rcases[k].options;
        jobs += "{\"id\": \"rrc" + std::to_string(draws_->size()) +
                "\", \"op\": \"rrc\", \"w\": " + std::to_string(rcases[k].w) +
                ", \"h\": " + std::to_string(rcases[k].h) + ", \"scale\": [" + number(o.scale_min) + ", " +
                number(o.scale_max) + "], \"ratio\": [" + number(o.ratio_min) + ", " + number(o.ratio_max) +
                "], \"draws\": [" + list + "]}\n";
        draws_->push_back(d);
      }
    const std::string script = test::source_dir() + "/tests/images/pillow_reference.py";
    const auto r = test::run_command("/usr/bin/python3 " + test::shell_quote(script) + " " +
                                     test::shell_quote(dir_->write("jobs.jsonl", jobs)) + " " +
                                     test::shell_quote(dir_->file("results.txt")));
    batch_error_ = r.exit_code == 0 ? "" : "pillow_reference.py failed: " + r.err;
    std::istringstream lines(test::read_file(dir_->file("results.txt")));
    std::string line;
    while (std::getline(lines, line)) {
      const size_t space = line.find(' ');
      if (space != std::string::npos) (*results_)[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  static void TearDownTestSuite() {
    delete draws_;
    delete results_;
    dir_.reset();
  }
  void SetUp() override { ASSERT_EQ(batch_error_, ""); }

  static std::string in(size_t i) { return dir_->file("g" + std::to_string(i) + ".raw"); }
  static std::string out(size_t i) { return dir_->file("g" + std::to_string(i) + ".out"); }

  static std::unique_ptr<TempDir> dir_;
  static std::vector<std::vector<double>>* draws_;
  static std::map<std::string, std::string>* results_;
  static std::string batch_error_;
};
std::unique_ptr<TempDir> GeometryVsPillow::dir_;
std::vector<std::vector<double>>* GeometryVsPillow::draws_ = nullptr;
std::map<std::string, std::string>* GeometryVsPillow::results_ = nullptr;
std::string GeometryVsPillow::batch_error_;

TEST_F(GeometryVsPillow, TransformsAreByteExact) {
  const auto& cases = pillow_cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    const PillowCase& c = cases[i];
    SCOPED_TRACE("case " + std::to_string(i) + " (" + c.op + " " + std::to_string(c.src_w) + "x" +
                 std::to_string(c.src_h) + ")");
    const Image im = test_image(c.src_w, c.src_h, c.channels, static_cast<uint32_t>(100 + i));
    Image ours;
    if (c.op == "eval")
      ours = eval_transform(im, c.a, c.crop_pct, c.filter);
    else if (c.op == "center_crop")
      ours = center_crop(im, c.a, c.b);
    else
      ours = resized_crop(im, c.rect, c.a, c.b, c.filter);
    ASSERT_EQ(results_->count("g" + std::to_string(i)), 1u);
    EXPECT_EQ(results_->at("g" + std::to_string(i)), std::to_string(ours.width) + " " + std::to_string(ours.height));
    const std::string theirs = test::read_file(out(i));
    ASSERT_EQ(theirs.size(), ours.pixels.size());
    size_t differing = 0;
    for (size_t k = 0; k < theirs.size(); ++k) differing += ours.pixels[k] != static_cast<uint8_t>(theirs[k]);
    EXPECT_EQ(differing, 0u);
  }
}

TEST_F(GeometryVsPillow, RandomResizedCropMatchesTorchvisionCodeForTheSameDraws) {
  const auto rcases = rrc_cases();
  size_t n = 0, fallbacks = 0;
  for (size_t k = 0; k < rcases.size(); ++k)
    for (int s = 0; s < kRrcDrawSets; ++s, ++n) {
      const std::vector<double>& d = (*draws_)[n];
      size_t next = 0;
      const CropRect r = random_resized_crop_params(
          rcases[k].w, rcases[k].h, [&] { return next < d.size() ? d[next++] : 0.5; }, rcases[k].options);
      fallbacks += next == 20;
      ASSERT_EQ(results_->count("rrc" + std::to_string(n)), 1u);
      EXPECT_EQ(rect_text(r), results_->at("rrc" + std::to_string(n)))
          << rcases[k].w << "x" << rcases[k].h << " draw set " << s;
    }
  EXPECT_GT(fallbacks, 0u);
}

TEST(RandomResizedCrop, FallbackForExtremeAspectImages) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 50; ++i) {
    // Any crop of at least 8% of a 1000×10 image with aspect <= 4/3 is taller than 10 rows.
    EXPECT_EQ(rect_text(random_resized_crop_params(1000, 10, rng)), "0 493 10 13");
    EXPECT_EQ(rect_text(random_resized_crop_params(10, 1000, rng)), "493 0 13 10");
  }
}

TEST(RandomResizedCrop, SameSeedSameCrops) {
  std::mt19937_64 a(99), b(99);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(random_resized_crop_params(500, 375, a), random_resized_crop_params(500, 375, b));
}

TEST(RandomResizedCrop, AreaAndLogRatioAreUniformWhenNothingIsRejected) {
  // 1000×1000 with scale <= 0.5: even at aspect 4/3 the crop fits, so no draw is rejected and the
  // area fraction and log aspect follow their sampling distributions (up to w, h rounding).
  RandomResizedCropOptions o;
  o.scale_max = 0.5;
  std::mt19937_64 rng(1);
  constexpr int kDraws = 20000, kBins = 8;
  int area_bins[kBins] = {}, ratio_bins[kBins] = {};
  double area_sum = 0, top_pos = 0;
  const double lo = std::log(3.0 / 4.0), hi = std::log(4.0 / 3.0);
  for (int i = 0; i < kDraws; ++i) {
    const CropRect r = random_resized_crop_params(1000, 1000, rng, o);
    ASSERT_TRUE(r.top >= 0 && r.left >= 0 && r.top + r.height <= 1000 && r.left + r.width <= 1000);
    const double fraction = r.width * static_cast<double>(r.height) / 1e6;
    ASSERT_GE(fraction, 0.0795);
    ASSERT_LE(fraction, 0.5025);
    area_sum += fraction;
    area_bins[std::min(kBins - 1, static_cast<int>((fraction - 0.08) / (0.42 / kBins)))]++;
    const double log_ratio = std::log(static_cast<double>(r.width) / r.height);
    ASSERT_GE(log_ratio, lo - 0.01);
    ASSERT_LE(log_ratio, hi + 0.01);
    ratio_bins[std::min(kBins - 1, std::max(0, static_cast<int>((log_ratio - lo) / ((hi - lo) / kBins))))]++;
    if (r.height < 1000) top_pos += r.top / static_cast<double>(1000 - r.height);
  }
  EXPECT_NEAR(area_sum / kDraws, 0.29, 0.004);
  EXPECT_NEAR(top_pos / kDraws, 0.5, 0.01);
  for (int b = 0; b < kBins; ++b) {
    EXPECT_NEAR(area_bins[b], kDraws / kBins, kDraws / kBins * 0.1) << "area bin " << b;
    EXPECT_NEAR(ratio_bins[b], kDraws / kBins, kDraws / kBins * 0.1) << "log-ratio bin " << b;
  }
}

TEST(RandomResizedCrop, DefaultsStayInsideAndCoverEightPercentOrMore) {
  std::mt19937_64 rng(3);
  double min_fraction = 1, max_fraction = 0;
  for (int i = 0; i < 5000; ++i) {
    const CropRect r = random_resized_crop_params(500, 375, rng);
    ASSERT_TRUE(r.top >= 0 && r.left >= 0 && r.height > 0 && r.width > 0);
    ASSERT_LE(r.top + r.height, 375);
    ASSERT_LE(r.left + r.width, 500);
    const double fraction = r.width * static_cast<double>(r.height) / (500.0 * 375.0);
    min_fraction = std::min(min_fraction, fraction);
    max_fraction = std::max(max_fraction, fraction);
  }
  EXPECT_GE(min_fraction, 0.078);
  EXPECT_LT(min_fraction, 0.09);
  EXPECT_GT(max_fraction, 0.9);
  EXPECT_LE(max_fraction, 1.0);
  std::mt19937_64 r2(4);
  RandomResizedCropOptions bad;
  bad.scale_min = 0.9, bad.scale_max = 0.1;
  EXPECT_THROW(random_resized_crop_params(10, 10, r2, bad), std::invalid_argument);
  EXPECT_THROW(random_resized_crop_params(0, 10, r2), std::invalid_argument);
}

}  // namespace
}  // namespace ms

namespace ms {
namespace {

// A valid long, thin image (10000 × 5) resized for evaluation is 34000 × 17 before its center
// crop: past the old 32768 side limit, well under the pixel limit. It must evaluate, as in
// torchvision, not fail as if corrupt.
TEST(EvalTransform, LongThinImagesEvaluate) {
  Image wide = make_image(10000, 5, 3, 77), tall = make_image(3, 10000, 1, 200);
  const Image a = eval_transform(wide, 16, 0.9, Filter::Bicubic), b = eval_transform(tall, 16, 0.9, Filter::Bilinear);
  EXPECT_EQ(a.width, 16);
  EXPECT_EQ(a.height, 16);
  EXPECT_EQ(a.pixels[a.pixels.size() / 2], 77);  // a flat image stays flat inside
  EXPECT_EQ(b.width, 16);
  EXPECT_EQ(b.pixels[b.pixels.size() / 2], 200);
  EXPECT_NE(image_size_problem(20000, 20000), "");  // 400 Mpx: over Pillow's bomb limit
  EXPECT_EQ(image_size_problem(34000, 17), "");
}

}  // namespace
}  // namespace ms
