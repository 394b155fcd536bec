// timm's RandAugment strings: the recipe's "rand-m9-mstd0.5-inc1", defaults, every key, and the
// errors a sweep author sees (through the validator: file position and accepted parts).
#include "sweeps/rand_augment_spec.h"

#include <cmath>

#include <gtest/gtest.h>

namespace ms {
namespace {

TEST(RandAugmentSpec, ParsesTheRecipeAndEveryKey) {
  EXPECT_FALSE(parse_rand_augment("").has_value());
  RandAugmentSpec s = *parse_rand_augment("rand-m9-mstd0.5-inc1");
  EXPECT_EQ(s.magnitude, 9);
  EXPECT_EQ(s.magnitude_std, 0.5);
  EXPECT_TRUE(s.increasing);
  EXPECT_EQ(s.num_ops, 2);
  EXPECT_EQ(s.magnitude_max, 10);
  EXPECT_EQ(s.probability, 0.5);
  s = *parse_rand_augment("rand");  // timm's defaults
  EXPECT_EQ(s.magnitude, 10);
  EXPECT_EQ(s.magnitude_std, 0);
  EXPECT_FALSE(s.increasing);
  s = *parse_rand_augment("rand-n3-m7-mmax12-p0.8-inc0-mstd101");
  EXPECT_EQ(s.num_ops, 3);
  EXPECT_EQ(s.magnitude, 7);
  EXPECT_EQ(s.magnitude_max, 12);
  EXPECT_EQ(s.probability, 0.8);
  EXPECT_FALSE(s.increasing);
  EXPECT_TRUE(std::isinf(s.magnitude_std));  // timm: mstd > 100 samples uniformly in [0, m]
}

TEST(RandAugmentSpec, RefusesWhatItCannotRead) {
  for (const char* bad : {"augmix-m5", "rand-", "rand-m", "rand-x3", "rand-m9-m8", "rand-n0", "rand-n2.5", "rand-p1.5",
                          "rand-inc2", "rand-m11", "rand-mstd-1", "rand-m9x", "randm9"}) {
    try {
      parse_rand_augment(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("accepted parts"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace ms
