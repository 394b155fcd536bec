// Student-t p-values against published values, Welch and paired tests by hand, Spearman.
#include <gtest/gtest.h>

#include <cmath>

#include "stats.h"

namespace ms {
namespace {

TEST(Stats, StudentTTwoSidedPValues) {
  EXPECT_NEAR(student_t_two_sided_p(2.0, 10), 0.07338803, 1e-7);
  EXPECT_NEAR(student_t_two_sided_p(-2.0, 10), 0.07338803, 1e-7);
  EXPECT_NEAR(student_t_two_sided_p(2.228, 10), 0.05, 2e-4);   // t_{0.975, 10} = 2.228
  EXPECT_NEAR(student_t_two_sided_p(12.706, 1), 0.05, 1e-4);   // t_{0.975, 1} = 12.706
  EXPECT_NEAR(student_t_two_sided_p(1.96, 1e6), 0.05, 1e-4);   // the normal limit
  EXPECT_DOUBLE_EQ(student_t_two_sided_p(0, 5), 1.0);
  EXPECT_NEAR(student_t_cdf(1.0, 1), 0.75, 1e-12);             // Cauchy: 1/2 + atan(1)/pi
  EXPECT_NEAR(student_t_cdf(-1.0, 1), 0.25, 1e-12);
  EXPECT_NEAR(regularized_incomplete_beta(2, 3, 0.4), 0.5248, 1e-12);  // closed form
}

TEST(Stats, WelchTTestByHand) {
  // a: mean 0.82, var 4e-4; b: mean 0.72, var 7e-4; se^2 = (4e-4 + 7e-4) / 3.
  const auto r = welch_t_test({0.80, 0.82, 0.84}, {0.70, 0.71, 0.75});
  ASSERT_TRUE(r);
  const double se2 = (4e-4 + 7e-4) / 3;
  EXPECT_NEAR(r->t, 0.10 / std::sqrt(se2), 1e-9);
  const double df = se2 * se2 / ((4e-4 / 3) * (4e-4 / 3) / 2 + (7e-4 / 3) * (7e-4 / 3) / 2);
  EXPECT_NEAR(r->df, df, 1e-9);
  EXPECT_NEAR(r->p, student_t_two_sided_p(r->t, df), 1e-12);
  EXPECT_LT(r->p, 0.05);
  EXPECT_FALSE(r->paired);
  EXPECT_FALSE(welch_t_test({1.0}, {1.0, 2.0}));
  EXPECT_FALSE(welch_t_test({1.0, 1.0}, {1.0, 1.0}));
}

TEST(Stats, PairedTTestByHand) {
  // differences 0.10, 0.11, 0.09: mean 0.10, sd 0.01, t = 0.10 / (0.01 / sqrt(3)), df 2.
  const auto r = paired_t_test({0.80, 0.82, 0.84}, {0.70, 0.71, 0.75});
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->t, 0.10 / (0.01 / std::sqrt(3.0)), 1e-6);
  EXPECT_DOUBLE_EQ(r->df, 2);
  EXPECT_TRUE(r->paired);
  EXPECT_NEAR(r->p, student_t_two_sided_p(r->t, 2), 1e-12);
  EXPECT_FALSE(paired_t_test({1, 2}, {1, 2, 3}));
}

TEST(Stats, SpearmanWithTies) {
  EXPECT_NEAR(*spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0, 1e-12);
  EXPECT_NEAR(*spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0, 1e-12);
  EXPECT_EQ(average_ranks({5, 1, 5, 3}), (std::vector<double>{3.5, 1, 3.5, 2}));
  EXPECT_NEAR(*spearman({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5}), 0.8, 1e-12);  // 1 - 6*4/(5*24)
  EXPECT_FALSE(spearman({1, 1}, {1, 2}));
}

}  // namespace
}  // namespace ms
