// resize() against live Pillow 9.4 Image.resize: bilinear, bicubic and nearest, up and down,
// one axis only, grey and RGB, tiny and skinny images, and fractional source boxes; every case must
// match byte for byte.
#include "images/resample.h"

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

// Noise over gradients with saturated blocks (0/255 edges make bicubic overshoot and clip).
struct Source {
  std::string name;
  int w, h, channels;
};

struct Case {
  std::string source;
  int w, h;
  Filter filter;
  bool has_box = false;
  ResizeBox box;
};

const std::vector<Source>& sources() {
  static const std::vector<Source> s = {
      {"A", 500, 375, 3}, {"B", 37, 53, 3}, {"C", 256, 256, 3}, {"D", 500, 375, 1},
      {"E", 256, 256, 1}, {"F", 1, 1, 3},   {"G", 3, 1000, 1},  {"H", 333, 211, 3},
  };
  return s;
}

Case plain(const std::string& source, int w, int h, Filter f) { return Case{source, w, h, f, false, {}}; }
Case boxed(const std::string& source, int w, int h, Filter f, double l, double t, double r, double b) {
  Case c{source, w, h, f, true, {}};
  c.box.left = l, c.box.top = t, c.box.right = r, c.box.bottom = b;
  return c;
}

const std::vector<Case>& cases() {
  using F = Filter;
  static const std::vector<Case> c = {
      plain("A", 224, 224, F::Bilinear),
      plain("A", 224, 224, F::Bicubic),
      plain("A", 224, 224, F::Nearest),
      plain("A", 500, 200, F::Bilinear),  // vertical pass only
      plain("A", 200, 375, F::Bicubic),   // horizontal pass only
      plain("A", 1000, 750, F::Bicubic),
      plain("B", 128, 100, F::Bilinear),
      plain("B", 128, 100, F::Bicubic),
      plain("B", 128, 100, F::Nearest),
      plain("C", 7, 7, F::Bilinear),
      plain("C", 7, 7, F::Bicubic),
      plain("C", 7, 7, F::Nearest),
      plain("C", 7, 300, F::Bicubic),
      plain("D", 224, 224, F::Bilinear),
      plain("D", 224, 224, F::Bicubic),
      plain("E", 7, 7, F::Bicubic),
      plain("E", 300, 300, F::Bicubic),
      plain("F", 5, 5, F::Bilinear),
      plain("F", 5, 5, F::Bicubic),
      plain("G", 1, 1, F::Bilinear),
      plain("G", 2, 37, F::Bicubic),
      plain("H", 224, 224, F::Bicubic),
      boxed("A", 224, 224, F::Bilinear, 10.5, 20.25, 300.75, 350),
      boxed("A", 224, 224, F::Bicubic, 10.5, 20.25, 300.75, 350),
      boxed("A", 224, 224, F::Nearest, 10.5, 20.25, 300.75, 350),
      boxed("A", 100, 100, F::Bilinear, 5, 6, 105, 106),  // integral and output-sized: Pillow crops
      boxed("A", 64, 64, F::Bicubic, 100.3, 50.7, 120.1, 80.9),
      boxed("A", 224, 224, F::Bicubic, 0, 0, 500, 375),
      boxed("A", 500, 375, F::Bicubic, 0.1, 0, 499.9, 375),
      boxed("A", 5, 5, F::Bilinear, 10, 10, 10, 20),                                     // zero width
      boxed("A", 224, 224, F::Bicubic, 1.0 / 3, 2.0 / 7, 400.123456789, 300.987654321),  // float rounding
      boxed("B", 300, 11, F::Bicubic, 0.5, 0.5, 36.5, 52.5),
      boxed("D", 160, 90, F::Bilinear, 33, 44, 433, 269),
      boxed("H", 224, 224, F::Bicubic, 57, 12, 57 + 180, 12 + 151),
  };
  return c;
}

std::string case_id(size_t i) { return "r" + std::to_string(i); }

class ResizeVsPillow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    images_ = new std::map<std::string, Image>;
    uint32_t seed = 11;
    for (const auto& s : sources()) {
      const Image im = test_image(s.w, s.h, s.channels, seed++);
      std::ofstream(raw(s.name), std::ios::binary)
          .write(reinterpret_cast<const char*>(im.pixels.data()), static_cast<std::streamsize>(im.pixels.size()));
      (*images_)[s.name] = im;
    }
    std::string jobs;
    for (size_t i = 0; i < cases().size(); ++i) {
      const Case& c = cases()[i];
      const Image& im = images_->at(c.source);
      const char* filter = c.filter == Filter::Bilinear  ? "bilinear"
                           : c.filter == Filter::Bicubic ? "bicubic"
                                                         : "nearest";
      jobs += "{\"id\": \"" + case_id(i) + "\", \"op\": \"resize\", \"in\": \"" + raw(c.source) +
              "\", \"w\": " + std::to_string(im.width) + ", \"h\": " + std::to_string(im.height) + ", \"mode\": \"" +
              (im.channels == 3 ? "RGB" : "L") + "\", \"size\": [" + std::to_string(c.w) + ", " + std::to_string(c.h) +
              "], \"filter\": \"" + filter + "\", \"out\": \"" + out(i) + "\"";
      if (c.has_box)
        jobs += ", \"box\": [" + number(c.box.left) + ", " + number(c.box.top) + ", " + number(c.box.right) + ", " +
                number(c.box.bottom) + "]";
      jobs += "}\n";
    }
    const std::string script = test::source_dir() + "/tests/images/pillow_reference.py";
    const auto r = test::run_command("/usr/bin/python3 " + test::shell_quote(script) + " " +
                                     test::shell_quote(dir_->write("jobs.jsonl", jobs)) + " " +
                                     test::shell_quote(dir_->file("results.txt")));
    batch_error_ = r.exit_code == 0 ? "" : "pillow_reference.py failed: " + r.err;
  }
  static void TearDownTestSuite() {
    delete images_;
    dir_.reset();
  }
  void SetUp() override { ASSERT_EQ(batch_error_, ""); }

  static std::string raw(const std::string& name) { return dir_->file(name + ".raw"); }
  static std::string out(size_t i) { return dir_->file(case_id(i) + ".out"); }

  static std::unique_ptr<TempDir> dir_;
  static std::map<std::string, Image>* images_;
  static std::string batch_error_;
};
std::unique_ptr<TempDir> ResizeVsPillow::dir_;
std::map<std::string, Image>* ResizeVsPillow::images_ = nullptr;
std::string ResizeVsPillow::batch_error_;

TEST_F(ResizeVsPillow, EveryCaseIsByteExact) {
  for (size_t i = 0; i < cases().size(); ++i) {
    const Case& c = cases()[i];
    const Image& src = images_->at(c.source);
    const Image ours = c.has_box ? resize(src, c.w, c.h, c.filter, c.box) : resize(src, c.w, c.h, c.filter);
    const std::string theirs = test::read_file(out(i));
    SCOPED_TRACE("case " + std::to_string(i) + ": " + c.source + " -> " + std::to_string(c.w) + "x" +
                 std::to_string(c.h) + " filter " + std::to_string(static_cast<int>(c.filter)));
    ASSERT_EQ(ours.width, c.w);
    ASSERT_EQ(ours.height, c.h);
    ASSERT_EQ(ours.pixels.size(), theirs.size());
    size_t differing = 0, first = SIZE_MAX;
    for (size_t k = 0; k < theirs.size(); ++k)
      if (ours.pixels[k] != static_cast<uint8_t>(theirs[k])) {
        ++differing;
        if (first == SIZE_MAX) first = k;
      }
    EXPECT_EQ(differing, 0u) << "first difference at byte " << first;
  }
}

TEST(Resize, SameSizeWithoutBoxIsACopy) {
  const Image im = test_image(31, 17, 3, 3);
  EXPECT_EQ(resize(im, 31, 17, Filter::Bicubic).pixels, im.pixels);
  ResizeBox whole;
  whole.right = 31, whole.bottom = 17;
  EXPECT_EQ(resize(im, 31, 17, Filter::Bilinear, whole).pixels, im.pixels);
}

TEST(Resize, ConstantImagesStayConstant) {
  for (Filter f : {Filter::Nearest, Filter::Bilinear, Filter::Bicubic}) {
    const Image im = make_image(97, 61, 3, 173);
    for (auto [w, h] : {std::pair{13, 200}, std::pair{224, 224}, std::pair{1, 1}}) {
      const Image out = resize(im, w, h, f);
      for (uint8_t v : out.pixels) {
        ASSERT_EQ(v, 173);
      }
    }
  }
}

TEST(Resize, RejectsBadSizesAndBoxes) {
  const Image im = test_image(20, 10, 1, 4);
  EXPECT_THROW(resize(im, 0, 5, Filter::Bilinear), std::invalid_argument);
  EXPECT_THROW(resize(im, 5, kMaxImageSide + 1, Filter::Bilinear), std::invalid_argument);
  auto box = [](double l, double t, double r, double b) {
    ResizeBox x;
    x.left = l, x.top = t, x.right = r, x.bottom = b;
    return x;
  };
  EXPECT_THROW(resize(im, 5, 5, Filter::Bilinear, box(-1, 0, 10, 10)), std::invalid_argument);
  EXPECT_THROW(resize(im, 5, 5, Filter::Bilinear, box(0, 0, 20.5, 10)), std::invalid_argument);
  EXPECT_THROW(resize(im, 5, 5, Filter::Bilinear, box(8, 0, 4, 10)), std::invalid_argument);
  Image two_channel = im;
  two_channel.channels = 2;
  EXPECT_THROW(resize(two_channel, 5, 5, Filter::Bicubic), std::invalid_argument);
}

}  // namespace
}  // namespace ms
