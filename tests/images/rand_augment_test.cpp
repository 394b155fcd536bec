// RandAugment's fifteen ops against live Pillow 9.4 (the calls timm's auto_augment.py makes), on grey
// and RGB images of odd sizes, every case byte for byte; the rand_augment driver against a
// transcription of timm's RandAugment on the same uniform stream; and the driver's statistics (op
// choice, apply rate, magnitude, sign) over many draws.
#include "images/rand_augment.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
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
using test::TempDir;
using test::test_image;

const uint8_t kFill[3] = {124, 116, 104};

struct OpSource {
  std::string name;
  int w, h, channels;
  bool low_contrast;
};

// G, C: the test picture (saturated 0/255 blocks over noisy gradients); g, c: low contrast, every
// channel in its own narrow range (so autocontrast and equalize have work to do and no 255s);
// p: eight levels, the top one crowded; S: tiny; Q: square (90° rotations are transposes).
const std::vector<OpSource>& op_sources() {
  static const std::vector<OpSource> s = {{"G", 37, 29, 1, false}, {"C", 37, 29, 3, false}, {"g", 37, 29, 1, true},
                                          {"c", 31, 23, 3, true},  {"p", 29, 37, 3, true},  {"S", 2, 5, 3, false},
                                          {"Q", 16, 16, 1, false}};
  return s;
}

Image source_image(const OpSource& s, uint32_t seed) {
  Image im = test_image(s.w, s.h, s.channels, seed);
  if (s.name == "p")  // few levels, the top one crowded (equalize's step leaves out the top bin)
    for (uint8_t& v : im.pixels) v = static_cast<uint8_t>(std::min(200, 40 + (v & 0xE0)));
  else if (s.low_contrast)
    for (size_t i = 0; i < im.pixels.size(); ++i)
      im.pixels[i] = static_cast<uint8_t>(60 + 20 * (i % 3) + im.pixels[i] * (1 + i % 3) / 7);
  return im;
}

struct OpCase {
  std::string source, name;
  bool has_arg = false;
  double arg = 0;
  Filter filter = Filter::Bicubic;
};

const char* filter_name(Filter f) {
  return f == Filter::Bilinear ? "bilinear" : f == Filter::Bicubic ? "bicubic" : "nearest";
}

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = [] {
    std::vector<OpCase> c;
    for (const std::string src : {"G", "C", "g", "c", "p", "S"}) {
      for (const char* name : {"auto_contrast", "equalize", "invert"}) c.push_back({src, name});
      for (int bits : {0, 1, 2, 4, 7, 8}) c.push_back({src, "posterize", true, double(bits)});
      for (int t : {0, 1, 77, 128, 200, 256}) c.push_back({src, "solarize", true, double(t)});
      for (int a : {0, 30, 110}) c.push_back({src, "solarize_add", true, double(a)});
      for (const char* name : {"color", "contrast", "brightness", "sharpness"})
        for (double f : {0.0, 0.1, 0.37, 0.5, 0.99, 1.0, 1.3, 1.9, 2.7}) c.push_back({src, name, true, f});
      for (Filter f : {Filter::Nearest, Filter::Bilinear, Filter::Bicubic}) {
        for (double deg : {-30.0, -17.3, -0.4, 0.0, 9.0, 27.0, 30.0, 180.0, 270.0, 400.0})
          c.push_back({src, "rotate", true, deg, f});
        for (double s : {-0.3, -0.117, 0.05, 0.27, 0.3}) {
          c.push_back({src, "shear_x", true, s, f});
          c.push_back({src, "shear_y", true, s, f});
        }
        for (double px : {-16.65, -3.0, -0.5, 0.25, 7.0, 13.05}) {
          c.push_back({src, "translate_x", true, px, f});
          c.push_back({src, "translate_y", true, px, f});
        }
      }
    }
    for (Filter f : {Filter::Nearest, Filter::Bilinear, Filter::Bicubic})  // square: 90° is a transpose
      for (double deg : {90.0, -90.0, 270.0, 45.0}) c.push_back({"Q", "rotate", true, deg, f});
    return c;
  }();
  return cases;
}

Image run_op(const Image& im, const OpCase& c) {
  const std::string& n = c.name;
  const int i = static_cast<int>(c.arg);
  if (n == "auto_contrast") return auto_contrast(im);
  if (n == "equalize") return equalize(im);
  if (n == "invert") return invert(im);
  if (n == "posterize") return posterize(im, i);
  if (n == "solarize") return solarize(im, i);
  if (n == "solarize_add") return solarize_add(im, i);
  if (n == "color") return color(im, c.arg);
  if (n == "contrast") return contrast(im, c.arg);
  if (n == "brightness") return brightness(im, c.arg);
  if (n == "sharpness") return sharpness(im, c.arg);
  if (n == "rotate") return rotate(im, c.arg, c.filter, kFill);
  if (n == "shear_x") return shear_x(im, c.arg, c.filter, kFill);
  if (n == "shear_y") return shear_y(im, c.arg, c.filter, kFill);
  if (n == "translate_x") return translate_x(im, c.arg, c.filter, kFill);
  if (n == "translate_y") return translate_y(im, c.arg, c.filter, kFill);
  throw std::logic_error("unknown op " + n);
}

// A JSON number; Python's json reads "Infinity".
std::string json_number(double v) { return std::isinf(v) ? (v > 0 ? "Infinity" : "-Infinity") : number(v); }

// The driver cases compared with the Python transcription of timm's RandAugment.
struct DriverCase {
  std::string source;
  RandAugmentParams p;
  uint32_t seed;
};

const std::vector<DriverCase>& driver_cases() {
  static const std::vector<DriverCase> cases = [] {
    std::vector<DriverCase> c;
    uint32_t seed = 100;
    for (const std::string src : {"G", "C", "c"})
      for (int k = 0; k < 12; ++k) {
        RandAugmentParams p;
        p.num_ops = 3;
        p.probability = k % 4 == 3 ? 1.0 : 0.8;
        p.increasing = k % 3 != 2;
        p.filter = k % 5 == 4 ? Filter::Bilinear : Filter::Bicubic;
        if (k == 5) p.magnitude_std = std::numeric_limits<double>::infinity();
        if (k == 7) p.magnitude_std = 0;
        if (k == 9) p.magnitude = 12, p.magnitude_max = 0;  // clipped at timm's default 10
        c.push_back({src, p, seed++});
      }
    return c;
  }();
  return cases;
}

// Uniforms from a seeded generator, recorded so the same stream can be sent to the script.
struct RecordedStream {
  std::mt19937_64 rng;
  std::vector<double> drawn;
  explicit RecordedStream(uint32_t seed) : rng(seed) {}
  double operator()() {
    drawn.push_back(static_cast<double>(rng() >> 11) * 0x1.0p-53);
    return drawn.back();
  }
};

class RandAugmentVsPillow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    images_ = new std::map<std::string, Image>;
    uint32_t seed = 21;
    for (const auto& s : op_sources()) {
      const Image im = source_image(s, seed++);
      std::ofstream(raw(s.name), std::ios::binary)
          .write(reinterpret_cast<const char*>(im.pixels.data()), static_cast<std::streamsize>(im.pixels.size()));
      (*images_)[s.name] = im;
    }
    std::string jobs;
    for (size_t i = 0; i < op_cases().size(); ++i) {
      const OpCase& c = op_cases()[i];
      jobs += "{\"id\": \"o" + std::to_string(i) + "\", \"op\": \"augment\", " + image_fields(c.source) +
              ", \"name\": \"" + c.name + "\", \"filter\": \"" + filter_name(c.filter) +
              "\", \"fill\": [124, 116, 104]" + ", \"out\": \"" + dir_->file("o" + std::to_string(i) + ".out") + "\"";
      if (c.has_arg) {
        // Integer ops get Python ints, as timm's level functions produce them.
        const bool integral = c.name == "posterize" || c.name == "solarize" || c.name == "solarize_add";
        jobs += ", \"arg\": " + (integral ? std::to_string(static_cast<int>(c.arg)) : number(c.arg));
      }
      jobs += "}\n";
    }
    drivers_ = new std::vector<std::pair<Image, std::vector<AppliedOp>>>;
    for (size_t i = 0; i < driver_cases().size(); ++i) {
      const DriverCase& d = driver_cases()[i];
      RecordedStream stream(d.seed);
      std::vector<AppliedOp> trace;
      Image out = rand_augment(images_->at(d.source), d.p, std::ref(stream), &trace);
      drivers_->emplace_back(std::move(out), std::move(trace));
      std::string draws;
      for (double u : stream.drawn) draws += (draws.empty() ? "" : ", ") + number(u);
      jobs += "{\"id\": \"d" + std::to_string(i) + "\", \"op\": \"rand_augment\", " + image_fields(d.source) +
              ", \"draws\": [" + draws + "], \"n\": " + std::to_string(d.p.num_ops) +
              ", \"m\": " + json_number(d.p.magnitude) + ", \"mstd\": " + json_number(d.p.magnitude_std) +
              ", \"mmax\": " + json_number(d.p.magnitude_max) + ", \"p\": " + json_number(d.p.probability) +
              ", \"increasing\": " + (d.p.increasing ? "true" : "false") + ", \"filter\": \"" +
              filter_name(d.p.filter) + "\", \"fill\": [124, 116, 104], \"out\": \"" +
              dir_->file("d" + std::to_string(i) + ".out") + "\"}\n";
    }
    const std::string script = test::source_dir() + "/tests/images/pillow_reference.py";
    const std::string results = dir_->file("results.txt");
    const auto r =
        test::run_command("/usr/bin/python3 " + test::shell_quote(script) + " " +
                          test::shell_quote(dir_->write("jobs.jsonl", jobs)) + " " + test::shell_quote(results));
    batch_error_ = r.exit_code == 0 ? "" : "pillow_reference.py failed: " + r.err;
    results_ = new std::map<std::string, std::string>;
    std::istringstream lines(test::read_file(results));
    for (std::string line; std::getline(lines, line);) {
      const size_t space = line.find(' ');
      if (space != std::string::npos) (*results_)[line.substr(0, space)] = line.substr(space + 1);
    }
  }
  static void TearDownTestSuite() {
    delete images_;
    delete drivers_;
    delete results_;
    dir_.reset();
  }
  void SetUp() override { ASSERT_EQ(batch_error_, ""); }

  static std::string raw(const std::string& name) { return dir_->file(name + ".raw"); }
  static std::string image_fields(const std::string& source) {
    const Image& im = images_->at(source);
    return "\"in\": \"" + raw(source) + "\", \"w\": " + std::to_string(im.width) +
           ", \"h\": " + std::to_string(im.height) + ", \"mode\": \"" + (im.channels == 3 ? "RGB" : "L") + "\"";
  }
  // Number of bytes that differ (and the largest difference); -1 for a size mismatch.
  static long differing(const Image& ours, const std::string& theirs, int* max_diff) {
    *max_diff = 0;
    if (ours.pixels.size() != theirs.size()) return -1;
    long n = 0;
    for (size_t k = 0; k < theirs.size(); ++k) {
      const int d = std::abs(int(ours.pixels[k]) - int(static_cast<uint8_t>(theirs[k])));
      if (d) ++n, *max_diff = std::max(*max_diff, d);
    }
    return n;
  }

  static std::unique_ptr<TempDir> dir_;
  static std::map<std::string, Image>* images_;
  static std::vector<std::pair<Image, std::vector<AppliedOp>>>* drivers_;
  static std::map<std::string, std::string>* results_;
  static std::string batch_error_;
};
std::unique_ptr<TempDir> RandAugmentVsPillow::dir_;
std::map<std::string, Image>* RandAugmentVsPillow::images_ = nullptr;
std::vector<std::pair<Image, std::vector<AppliedOp>>>* RandAugmentVsPillow::drivers_ = nullptr;
std::map<std::string, std::string>* RandAugmentVsPillow::results_ = nullptr;
std::string RandAugmentVsPillow::batch_error_;

TEST_F(RandAugmentVsPillow, EveryOpIsByteExact) {
  int failures = 0;
  for (size_t i = 0; i < op_cases().size(); ++i) {
    const OpCase& c = op_cases()[i];
    const Image& src = images_->at(c.source);
    const Image ours = run_op(src, c);
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.name + "(" + number(c.arg) + ", " + filter_name(c.filter) +
                 ") on " + c.source);
    ASSERT_EQ(results_->count("o" + std::to_string(i)), 1u);
    EXPECT_EQ(ours.width, src.width);
    EXPECT_EQ(ours.height, src.height);
    EXPECT_EQ(ours.channels, src.channels);
    int max_diff = 0;
    const long n = differing(ours, test::read_file(dir_->file("o" + std::to_string(i) + ".out")), &max_diff);
    EXPECT_EQ(n, 0) << "max difference " << max_diff;
    if (n != 0 && ++failures > 20) FAIL() << "too many failures";
  }
}

TEST_F(RandAugmentVsPillow, DriverMatchesTimmTranscription) {
  for (size_t i = 0; i < driver_cases().size(); ++i) {
    const auto& [ours, trace] = drivers_->at(i);
    SCOPED_TRACE("driver case " + std::to_string(i));
    const std::string id = "d" + std::to_string(i);
    ASSERT_EQ(results_->count(id), 1u);
    std::istringstream fields(results_->at(id));
    int w = 0, h = 0;
    fields >> w >> h;
    std::vector<std::string> theirs;
    for (std::string f; fields >> f;) theirs.push_back(f);
    ASSERT_EQ(theirs.size(), trace.size());
    for (size_t k = 0; k < trace.size(); ++k) {
      const std::string& f = theirs[k];
      const size_t a = f.find(':'), b = f.find(':', a + 1), c = f.find(':', b + 1);
      ASSERT_NE(c, std::string::npos) << f;
      EXPECT_EQ(trace[k].name, f.substr(0, a));
      EXPECT_EQ(trace[k].applied, f.substr(a + 1, b - a - 1) == "1") << f;
      EXPECT_EQ(trace[k].magnitude, std::strtod(f.substr(b + 1, c - b - 1).c_str(), nullptr)) << f;
      EXPECT_EQ(trace[k].argument, std::strtod(f.substr(c + 1).c_str(), nullptr)) << f;
    }
    int max_diff = 0;
    EXPECT_EQ(differing(ours, test::read_file(dir_->file(id + ".out")), &max_diff), 0) << "max diff " << max_diff;
  }
}

// ---- Statistics and determinism of the driver (no Pillow). ----

TEST(RandAugment, SameStreamSameOutput) {
  const Image im = test_image(37, 29, 3, 5);
  RandAugmentParams p;
  p.num_ops = 4;
  for (uint64_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 a(seed), b(seed);
    auto ua = [&] { return static_cast<double>(a() >> 11) * 0x1.0p-53; };
    auto ub = [&] { return static_cast<double>(b() >> 11) * 0x1.0p-53; };
    std::vector<AppliedOp> ta, tb;
    const Image x = rand_augment(im, p, ua, &ta), y = rand_augment(im, p, ub, &tb);
    EXPECT_EQ(x.pixels, y.pixels);
    ASSERT_EQ(ta.size(), 4u);
    ASSERT_EQ(tb.size(), 4u);
    for (size_t k = 0; k < ta.size(); ++k) {
      EXPECT_EQ(ta[k].name, tb[k].name);
      EXPECT_EQ(ta[k].magnitude, tb[k].magnitude);
      EXPECT_EQ(ta[k].argument, tb[k].argument);
    }
  }
}

TEST(RandAugment, DrawOrderIsAsDocumented) {
  // Stream: choice of op 3 (Rotate) and op 0 (AutoContrast), then Rotate: apply (0.2 ≤ 0.5),
  // gauss (u1 = 0.25 → cos = 0 → magnitude exactly 9), sign (0.9 > 0.5 → negative); AutoContrast:
  // apply test 0.7 > 0.5 → skipped.
  const std::vector<double> draws = {3.5 / 15, 0.01, 0.2, 0.25, 0.5, 0.9, 0.7};
  size_t next = 0;
  auto u = [&] { return draws.at(next++); };
  const Image im = test_image(37, 29, 1, 9);
  std::vector<AppliedOp> trace;
  const Image out = rand_augment(im, RandAugmentParams{}, u, &trace);
  EXPECT_EQ(next, draws.size());
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace[0].name, "Rotate");
  EXPECT_TRUE(trace[0].applied);
  EXPECT_NEAR(trace[0].magnitude, 9.0, 1e-9);
  EXPECT_NEAR(trace[0].argument, -27.0, 1e-9);
  EXPECT_EQ(trace[1].name, "AutoContrast");
  EXPECT_FALSE(trace[1].applied);
  const uint8_t fill[3] = {124, 116, 104};
  EXPECT_EQ(out.pixels, rotate(im, trace[0].argument, Filter::Bicubic, fill).pixels);
}

// timm's default interpolation (PoolFormer's train.py: random): each geometric op draws its filter
// after its sign, bilinear below 0.5; the image is the op with that filter; ops that do not
// resample draw nothing more.
TEST(RandAugment, ARandomFilterIsDrawnPerGeometricOp) {
  const Image im = test_image(37, 29, 3, 9);
  const uint8_t fill[3] = {124, 116, 104};
  RandAugmentParams p;
  p.random_filter = true;
  for (const auto& [draw, filter] : {std::pair{0.3, Filter::Bilinear}, std::pair{0.7, Filter::Bicubic}}) {
    // Rotate then Solarize: Rotate applied, gauss to 9, sign positive, filter; Solarize applied,
    // gauss, no sign, no filter.
    const std::vector<double> draws = {3.5 / 15, 5.5 / 15, 0.2, 0.25, 0.5, 0.1, draw, 0.2, 0.25, 0.5};
    size_t next = 0;
    auto u = [&] { return draws.at(next++); };
    std::vector<AppliedOp> trace;
    const Image out = rand_augment(im, p, u, &trace);
    EXPECT_EQ(next, draws.size());
    ASSERT_EQ(trace.size(), 2u);
    EXPECT_EQ(trace[0].name, "Rotate");
    EXPECT_EQ(trace[0].filter, filter);
    EXPECT_EQ(trace[1].filter, Filter::Nearest);
    EXPECT_NEAR(trace[0].argument, 27.0, 1e-9);
    EXPECT_EQ(out.pixels, solarize(rotate(im, 27.0, filter, fill), static_cast<int>(trace[1].argument)).pixels);
  }
  // Over many draws: half of the applied geometric ops bilinear; without random_filter all `filter`.
  const Image dot = make_image(1, 1, 3, 90);
  std::mt19937_64 rng(7);
  auto u = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  int geometric = 0, bilinear = 0;
  std::vector<AppliedOp> trace;
  for (int i = 0; i < 20000; ++i) {
    rand_augment(dot, p, u, &trace);
    for (const AppliedOp& op : trace)
      if (op.applied && op.filter != Filter::Nearest) {
        ++geometric;
        bilinear += op.filter == Filter::Bilinear;
      }
  }
  EXPECT_NEAR(geometric, 20000 * 2 * 0.5 * 5 / 15.0, 6 * std::sqrt(20000 * 2 * (1 / 6.0) * (5 / 6.0)));
  EXPECT_NEAR(bilinear, geometric * 0.5, 6 * std::sqrt(geometric * 0.25));
  p.random_filter = false;
  p.filter = Filter::Bilinear;
  for (int i = 0; i < 200; ++i) {
    rand_augment(dot, p, u, &trace);
    for (const AppliedOp& op : trace)
      if (op.applied && op.filter != Filter::Nearest) {
        EXPECT_EQ(op.filter, Filter::Bilinear);
      }
  }
}

TEST(RandAugment, StatisticsOverManyDraws) {
  // A 1×1 image keeps the ops cheap; only the trace is examined.
  const Image im = make_image(1, 1, 3, 90);
  std::mt19937_64 rng(20240601);
  auto u = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  RandAugmentParams p;  // m9, mstd 0.5, p 0.5, increasing
  const int calls = 30000;
  std::map<std::string, int> chosen;
  int total = 0, applied = 0, negative = 0, signed_ops = 0;
  double sum_m = 0, sum_m2 = 0;
  int clipped = 0;
  std::vector<AppliedOp> trace;
  for (int i = 0; i < calls; ++i) {
    rand_augment(im, p, u, &trace);
    ASSERT_EQ(trace.size(), 2u);
    for (const AppliedOp& op : trace) {
      ++total;
      ++chosen[op.name];
      if (!op.applied) continue;
      ++applied;
      sum_m += op.magnitude;
      sum_m2 += op.magnitude * op.magnitude;
      if (op.magnitude == 10.0) ++clipped;
      ASSERT_GE(op.magnitude, 0.0);
      ASSERT_LE(op.magnitude, 10.0);
      if (op.name == "Rotate" || op.name == "ShearX" || op.name == "TranslateYRel") {
        ++signed_ops;
        if (op.argument < 0) ++negative;
      }
    }
  }
  // Each op 1/15 of the time: binomial sd sqrt(N p (1-p)); 6 sigma.
  ASSERT_EQ(chosen.size(), 15u);
  const double expect = total / 15.0, sd = std::sqrt(total * (1.0 / 15) * (14.0 / 15));
  for (const auto& [name, n] : chosen) EXPECT_NEAR(n, expect, 6 * sd) << name;
  EXPECT_NEAR(applied, total * 0.5, 6 * std::sqrt(total * 0.25));
  // N(9, 0.5) clipped at 10: P(m > 10) = P(z > 2) = 0.02275; the clipped mean is
  // 9 + 0.5 (phi(2) - 2 (1 - Phi(2))) - ... computed below; sd of the sample mean ≈ 0.5 / sqrt(n).
  const double tail = 0.5 * std::erfc(2 / std::sqrt(2.0));
  const double phi2 = std::exp(-2.0) / std::sqrt(2 * M_PI);
  const double mean_clipped = (1 - tail) * 9 - 0.5 * phi2 + tail * 10;  // E[min(X, 10)]
  const double mean = sum_m / applied, var = sum_m2 / applied - mean * mean;
  EXPECT_NEAR(mean, mean_clipped, 6 * 0.5 / std::sqrt(applied));
  // sd of min(X, 10), integrated numerically: 0.48995; the sample sd's own sd is ≈ 0.5 / sqrt(2n) ≈ 0.003.
  EXPECT_NEAR(std::sqrt(var), 0.48995, 0.015);
  EXPECT_NEAR(clipped, applied * tail, 6 * std::sqrt(applied * tail * (1 - tail)));
  EXPECT_NEAR(negative, signed_ops * 0.5, 6 * std::sqrt(signed_ops * 0.25));
}

TEST(RandAugment, LevelFunctionsAtFixedMagnitude) {
  // magnitude_std 0, probability 1: no apply test, no gauss, only the sign draws.
  RandAugmentParams p;
  p.magnitude_std = 0;
  p.probability = 1.0;
  p.num_ops = 1;
  const Image im = test_image(11, 7, 3, 2);
  auto arg_of = [&](int op, double m, bool increasing, double sign_draw) {
    p.magnitude = m;
    p.increasing = increasing;
    std::vector<double> draws = {(op + 0.5) / 15, sign_draw};
    size_t next = 0;
    std::vector<AppliedOp> trace;
    rand_augment(
        im, p, [&] { return draws.at(next++); }, &trace);
    return trace.at(0).argument;
  };
  EXPECT_DOUBLE_EQ(arg_of(3, 9, true, 0.1), 27.0);             // Rotate, positive
  EXPECT_DOUBLE_EQ(arg_of(3, 9, true, 0.6), -27.0);            // negated when u > 0.5
  EXPECT_EQ(arg_of(4, 9, true, 0), 1.0);                       // PosterizeIncreasing: 4 - int(3.6)
  EXPECT_EQ(arg_of(4, 10, true, 0), 0.0);                      // ... down to 0 bits at m10
  EXPECT_EQ(arg_of(4, 9, false, 0), 3.0);                      // Posterize: int(3.6)
  EXPECT_EQ(arg_of(5, 9, true, 0), 256.0 - 230);               // SolarizeIncreasing
  EXPECT_EQ(arg_of(5, 9, false, 0), 230.0);                    // Solarize
  EXPECT_EQ(arg_of(6, 9, true, 0), 99.0);                      // SolarizeAdd: int(99.0)
  EXPECT_DOUBLE_EQ(arg_of(7, 9, true, 0.1), 1.81);             // ColorIncreasing: 1 + 0.81
  EXPECT_NEAR(arg_of(8, 9, true, 0.9), 0.19, 1e-12);           // ContrastIncreasing: 1 - 0.81
  EXPECT_EQ(arg_of(9, 10, true, 0.9), 0.1);                    // floor of 0.1
  EXPECT_DOUBLE_EQ(arg_of(10, 9, false, 0), 0.9 * 1.8 + 0.1);  // Sharpness: no sign draw
  EXPECT_NEAR(arg_of(11, 9, true, 0.1), 0.27, 1e-12);          // ShearX
  EXPECT_NEAR(arg_of(14, 9, true, 0.7), -0.405, 1e-12);        // TranslateYRel
}

TEST(RandAugment, RejectsOtherChannelCounts) {
  Image im = test_image(5, 5, 3, 1);
  im.channels = 2;
  EXPECT_THROW(invert(im), std::invalid_argument);
  EXPECT_THROW(rotate(im, 10, Filter::Bilinear, kFill), std::invalid_argument);
}

}  // namespace
}  // namespace ms
