// Seed statistics for ablation tables: the Student-t distribution (through the regularized
// incomplete beta function), Welch's and the paired t-test with two-sided p-values, and
// Spearman's rank correlation (average ranks for ties).
#pragma once
#include <optional>
#include <vector>

namespace ms {

double regularized_incomplete_beta(double a, double b, double x);  // I_x(a, b), x in [0, 1]
double student_t_cdf(double t, double df);
double student_t_two_sided_p(double t, double df);  // P(|T| >= |t|)

struct TTest {
  double t = 0;
  double df = 0;
  double p = 1;  // two-sided
  bool paired = false;
};

// Both need n >= 2 per sample (paired: n >= 2 pairs, same length). std::nullopt when the test is
// undefined (too few values, or zero variance with equal means).
std::optional<TTest> welch_t_test(const std::vector<double>& a, const std::vector<double>& b);
std::optional<TTest> paired_t_test(const std::vector<double>& a, const std::vector<double>& b);

std::vector<double> average_ranks(const std::vector<double>& values);  // 1-based
std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y);  // n >= 2

}  // namespace ms
