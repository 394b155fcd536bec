// Seed statistics for ablation tables: the Student-t distribution (through the regularized
// incomplete beta function) and its quantiles, Welch's and the paired t-test with two-sided
// p-values and a confidence interval of the difference, Holm's step-down adjustment for several
// comparisons with one baseline, and Spearman's rank correlation (average ranks for ties).
#pragma once
#include <optional>
#include <vector>

namespace ms {

double regularized_incomplete_beta(double a, double b, double x);  // I_x(a, b), x in [0, 1]
double student_t_cdf(double t, double df);
double student_t_two_sided_p(double t, double df);  // P(|T| >= |t|)
double student_t_quantile(double p, double df);     // t with P(T <= t) = p, p in (0, 1)

struct TTest {
  double t = 0;
  double df = 0;
  double p = 1;  // two-sided
  bool paired = false;
  double diff = 0;       // mean(a) - mean(b) (paired: the mean difference, the same number)
  double se = 0;         // its standard error
  int n_a = 0, n_b = 0;  // values per side (paired: pairs, both sides)
};

// The two-sided confidence interval of TTest::diff at `level` (e.g. 0.95): diff ± t_{(1+level)/2, df} se.
struct Interval {
  double low = 0, high = 0;
};
Interval confidence_interval(const TTest& test, double level = 0.95);

// Holm's step-down adjustment of m p-values (one family: several variants against one baseline):
// the i-th smallest becomes max over j <= i of min(1, (m - j + 1) p_(j)). Same order as the input.
std::vector<double> holm_adjust(const std::vector<double>& p);

// Both need n >= 2 per sample (paired: n >= 2 pairs, same length). std::nullopt when the test is
// undefined (too few values, or zero variance with equal means).
std::optional<TTest> welch_t_test(const std::vector<double>& a, const std::vector<double>& b);
std::optional<TTest> paired_t_test(const std::vector<double>& a, const std::vector<double>& b);

std::vector<double> average_ranks(const std::vector<double>& values);  // 1-based
// Spearman's rho needs at least kMinPairsForSpearman pairs: over 2 it is +1 or -1 by construction.
constexpr size_t kMinPairsForSpearman = 3;
// std::nullopt with fewer pairs, unequal lengths, or one side all ties.
std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace ms
