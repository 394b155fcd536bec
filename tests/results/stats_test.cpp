// Student-t p-values and quantiles against published values and closed forms, Welch and paired
// tests and their confidence intervals by hand, Holm's adjustment against hand-worked values, Spearman.
#include "results/reports/stats.h"

#include <cmath>

#include <gtest/gtest.h>

namespace ms {
namespace {

TEST(Stats, StudentTTwoSidedPValues) {
  EXPECT_NEAR(student_t_two_sided_p(2.0, 10), 0.07338803, 1e-7);
  EXPECT_NEAR(student_t_two_sided_p(-2.0, 10), 0.07338803, 1e-7);
  EXPECT_NEAR(student_t_two_sided_p(2.228, 10), 0.05, 2e-4);  // t_{0.975, 10} = 2.228
  EXPECT_NEAR(student_t_two_sided_p(12.706, 1), 0.05, 1e-4);  // t_{0.975, 1} = 12.706
  EXPECT_NEAR(student_t_two_sided_p(1.96, 1e6), 0.05, 1e-4);  // the normal limit
  EXPECT_DOUBLE_EQ(student_t_two_sided_p(0, 5), 1.0);
  EXPECT_NEAR(student_t_cdf(1.0, 1), 0.75, 1e-12);  // Cauchy: 1/2 + atan(1)/pi
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

TEST(Stats, StudentTQuantileAgainstClosedFormsAndTables) {
  for (double p : {0.6, 0.9, 0.975, 0.995}) {
    EXPECT_NEAR(student_t_quantile(p, 1), std::tan(M_PI * (p - 0.5)), 1e-9 * std::tan(M_PI * (p - 0.5)));  // Cauchy
    EXPECT_NEAR(student_t_quantile(p, 2), (2 * p - 1) / std::sqrt(2 * p * (1 - p)), 1e-10);                // df = 2
  }
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.7764451051977987, 1e-9);  // printed t tables
  EXPECT_NEAR(student_t_quantile(0.975, 10), 2.2281388519649385, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.0422724563012373, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.025, 10), -2.2281388519649385, 1e-9);
  EXPECT_DOUBLE_EQ(student_t_quantile(0.5, 3), 0.0);
  EXPECT_TRUE(std::isnan(student_t_quantile(1.0, 3)));
}

TEST(Stats, ConfidenceIntervalsByHand) {
  // Paired: differences 0.10, 0.11, 0.09 -> 0.10 ± t_{0.975,2} * 0.01 / sqrt(3), t_{0.975,2} = 0.95 / sqrt(0.04875).
  const auto paired = paired_t_test({0.80, 0.82, 0.84}, {0.70, 0.71, 0.75});
  ASSERT_TRUE(paired);
  const double half = 0.95 / std::sqrt(0.04875) * 0.01 / std::sqrt(3.0);
  const Interval ci = confidence_interval(*paired);
  EXPECT_NEAR(ci.low, 0.10 - half, 1e-10);
  EXPECT_NEAR(ci.high, 0.10 + half, 1e-10);
  EXPECT_NEAR(ci.low, 0.0751586228815625, 1e-10);
  EXPECT_EQ(paired->n_a, 3);
  // Welch with equal sizes and variances reduces to Student's: df = 4, se = sqrt(2 * 4e-4 / 3).
  const auto welch = welch_t_test({0.80, 0.82, 0.84}, {0.70, 0.72, 0.74});
  ASSERT_TRUE(welch);
  EXPECT_NEAR(welch->df, 4, 1e-9);
  const Interval w = confidence_interval(*welch, 0.95);
  EXPECT_NEAR(w.high - w.low, 2 * 2.7764451051977987 * std::sqrt(2 * 4e-4 / 3), 1e-9);
  EXPECT_NEAR((w.high + w.low) / 2, 0.10, 1e-12);
  // A 99% interval is wider than the 95% one and still centred.
  const Interval wide = confidence_interval(*welch, 0.99);
  EXPECT_LT(wide.low, w.low);
  EXPECT_GT(wide.high, w.high);
}

TEST(Stats, HolmAgainstHandValues) {
  // R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") = 0.05 0.08 0.09 0.09 0.09.
  const auto a = holm_adjust({0.01, 0.02, 0.03, 0.04, 0.05});
  const std::vector<double> want_a = {0.05, 0.08, 0.09, 0.09, 0.09};
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], want_a[i], 1e-12) << i;
  }
  // Unsorted input keeps its order: sorted 0.005*4, 0.01*3, 0.03*2, max(0.04*1, 0.06).
  const auto b = holm_adjust({0.01, 0.04, 0.03, 0.005});
  const std::vector<double> want_b = {0.03, 0.06, 0.06, 0.02};
  for (size_t i = 0; i < b.size(); ++i) {
    EXPECT_NEAR(b[i], want_b[i], 1e-12) << i;
  }
  EXPECT_EQ(holm_adjust({0.5, 0.6}), (std::vector<double>{1.0, 1.0}));  // capped at 1
  EXPECT_EQ(holm_adjust({0.2}), (std::vector<double>{0.2}));            // one comparison: unchanged
  EXPECT_TRUE(holm_adjust({}).empty());
}

}  // namespace
}  // namespace ms
