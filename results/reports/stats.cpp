// Student-t tests and rank correlation (see stats.h). The incomplete beta function is the
// continued fraction of Numerical Recipes (modified Lentz), with the symmetry
// I_x(a, b) = 1 - I_{1-x}(b, a) for fast convergence.
#include "results/reports/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace ms {

namespace {

double beta_continued_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 300;
  constexpr double kEps = 1e-15, kTiny = 1e-300;
  const double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  return h;
}

double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }

double variance_of(const std::vector<double>& v, double mean) {
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return ss / (v.size() - 1);
}

std::optional<TTest> from_t(double diff, double se, double df, bool paired) {
  TTest r;
  r.df = df;
  r.paired = paired;
  r.diff = diff;
  r.se = se;
  if (se == 0) {
    if (diff == 0) return std::nullopt;
    r.t = diff > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
    r.p = 0;
    return r;
  }
  r.t = diff / se;
  r.p = student_t_two_sided_p(r.t, df);
  return r;
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1) / (a + b + 2)) return front * beta_continued_fraction(a, b, x) / a;
  return 1 - front * beta_continued_fraction(b, a, 1 - x) / b;
}

double student_t_two_sided_p(double t, double df) {
  if (std::isnan(t) || df <= 0) return std::numeric_limits<double>::quiet_NaN();
  if (std::isinf(t)) return 0;
  return regularized_incomplete_beta(df / 2, 0.5, df / (df + t * t));
}

double student_t_cdf(double t, double df) {
  const double tail = 0.5 * student_t_two_sided_p(t, df);
  return t >= 0 ? 1 - tail : tail;
}

std::optional<TTest> welch_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  const double ma = mean_of(a), mb = mean_of(b);
  const double va = variance_of(a, ma) / a.size(), vb = variance_of(b, mb) / b.size();
  const double se2 = va + vb;
  double df = static_cast<double>(a.size() + b.size() - 2);  // the limit when both variances vanish
  if (se2 > 0) df = se2 * se2 / (va * va / (a.size() - 1) + vb * vb / (b.size() - 1));
  auto r = from_t(ma - mb, std::sqrt(se2), df, false);
  if (r) r->n_a = static_cast<int>(a.size()), r->n_b = static_cast<int>(b.size());
  return r;
}

std::optional<TTest> paired_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.size() < 2) return std::nullopt;
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  const double md = mean_of(d);
  auto r = from_t(md, std::sqrt(variance_of(d, md) / d.size()), static_cast<double>(d.size() - 1), true);
  if (r) r->n_a = r->n_b = static_cast<int>(d.size());
  return r;
}

double student_t_quantile(double p, double df) {
  if (!(p > 0 && p < 1) || !(df > 0)) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.5) return 0;
  if (p < 0.5) return -student_t_quantile(1 - p, df);
  // Bisection on the monotone CDF: bracket [0, hi], then halve to the last representable bit.
  double lo = 0, hi = 1;
  while (student_t_cdf(hi, df) < p && hi < 1e300) hi *= 2;
  for (int i = 0; i < 2000 && hi - lo > 1e-15 * hi; ++i) {
    const double mid = lo + (hi - lo) / 2;
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return lo + (hi - lo) / 2;
}

Interval confidence_interval(const TTest& test, double level) {
  const double half = test.se == 0 ? 0 : student_t_quantile((1 + level) / 2, test.df) * test.se;
  return {test.diff - half, test.diff + half};
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return p[i] < p[j]; });
  std::vector<double> adjusted(m);
  double running = 0;  // the step-down maximum keeps the adjusted values in the raw order
  for (size_t k = 0; k < m; ++k) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - k) * p[order[k]]));
    adjusted[order[k]] = running;
  }
  return adjusted;
}

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return values[i] < values[j]; });
  std::vector<double> ranks(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
    const double rank = (static_cast<double>(i + j) / 2) + 1;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < kMinPairsForSpearman) return std::nullopt;
  const auto rx = average_ranks(x), ry = average_ranks(y);  // Pearson on the ranks (ties safe)
  const double mx = mean_of(rx), my = mean_of(ry);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx == 0 || syy == 0) return std::nullopt;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace ms
