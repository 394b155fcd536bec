// Random erasing against its definition (timm's RandomErasing, 'pixel' mode, one rectangle):
// how often it erases, the rectangle's area fraction and aspect ratio over many draws, that the
// noise inside is N(0, 1) and nothing outside changes, and that a seed fixes it.
#include "worker/data/random_erasing.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace ms {
namespace {

constexpr int kSide = 224, kChannels = 3;

TEST(RandomErasing, FollowsItsDefinitionOverManyDraws) {
  std::mt19937_64 rng(7);
  const auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  std::vector<float> image(kChannels * kSide * kSide);
  int erased = 0;
  double area_sum = 0, noise_sum = 0, noise_sq = 0;
  int64_t noise_n = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    std::fill(image.begin(), image.end(), 7.0f);
    const ErasedRect r = random_erase(image.data(), kChannels, kSide, kSide, 0.25, uniform);
    if (!r.erased) {
      ASSERT_TRUE(std::all_of(image.begin(), image.end(), [](float v) { return v == 7.0f; }));
      continue;
    }
    ++erased;
    const double fraction = double(r.height) * r.width / (kSide * kSide);
    EXPECT_GE(fraction, 0.02 * 0.9);  // rounding of h and w moves the area a little
    EXPECT_LE(fraction, 1.0 / 3.0 * 1.1);
    const double aspect = double(r.height) / r.width;
    EXPECT_GE(aspect, 0.3 * 0.85);
    EXPECT_LE(aspect, 1 / 0.3 / 0.85);
    ASSERT_GE(r.top, 0);
    ASSERT_LE(r.top + r.height, kSide);
    ASSERT_GE(r.left, 0);
    ASSERT_LE(r.left + r.width, kSide);
    area_sum += fraction;
    for (int c = 0; c < kChannels; ++c)
      for (int y = 0; y < kSide; ++y)
        for (int x = 0; x < kSide; ++x) {
          const float v = image[(c * kSide + y) * kSide + x];
          const bool inside = y >= r.top && y < r.top + r.height && x >= r.left && x < r.left + r.width;
          if (!inside) {
            ASSERT_EQ(v, 7.0f);
          } else {
            noise_sum += v, noise_sq += double(v) * v, ++noise_n;
          }
        }
  }
  // Erased with probability 0.25: 1000 expected, binomial std 27.
  EXPECT_NEAR(erased, 1000, 100);
  // Area fraction uniform in [0.02, 1/3): mean 0.177 (a little less: large, flat draws do not fit).
  EXPECT_NEAR(area_sum / erased, 0.177, 0.015);
  const double mean = noise_sum / noise_n, var = noise_sq / noise_n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(var), 1.0, 0.01);
}

TEST(RandomErasing, NeverWithProbabilityZeroAndFixedBySeed) {
  std::vector<float> a(kChannels * kSide * kSide, 1.0f), b = a;
  std::mt19937_64 r0(3);
  const auto u0 = [&] { return static_cast<double>(r0() >> 11) * 0x1.0p-53; };
  EXPECT_FALSE(random_erase(a.data(), kChannels, kSide, kSide, 0.0, u0).erased);
  std::mt19937_64 r1(11), r2(11);
  const auto u1 = [&] { return static_cast<double>(r1() >> 11) * 0x1.0p-53; };
  const auto u2 = [&] { return static_cast<double>(r2() >> 11) * 0x1.0p-53; };
  const ErasedRect x = random_erase(a.data(), kChannels, kSide, kSide, 1.0, u1);
  const ErasedRect y = random_erase(b.data(), kChannels, kSide, kSide, 1.0, u2);
  EXPECT_TRUE(x.erased);
  EXPECT_EQ(x.top, y.top);
  EXPECT_EQ(x.width, y.width);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace ms
