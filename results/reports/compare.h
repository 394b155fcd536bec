// Two sweeps side by side (`metasweep compare`): variants matched by section and label, each
// side's metric (test accuracy unless --metric says otherwise) mean ± std over done seeds, the
// difference B − A (points for an accuracy) with its 95%
// confidence interval and a two-sided t-test (paired by seed over the seeds both sides have done,
// Δ too; Welch's over all done seeds when they share fewer than 2; no p-value below 3 seeds
// compared; Holm-adjusted over the matched variants). The two sweeps may live in one database or
// in two.
#pragma once
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "results/reports/format.h"
#include "results/reports/report_metric.h"
#include "results/reports/stats.h"
#include "results/store/query.h"
#include "results/store/store.h"

namespace ms {

struct CompareSide {
  GroupRow group;
  std::optional<Summary> value;  // the metric over done seeds (as stored)
};

struct CompareRow {
  std::string section, variant;
  std::optional<CompareSide> a, b;  // none: the variant is not in that sweep
  std::optional<double> delta;      // (b - a) * metric.scale(): points for an accuracy
  std::optional<TTest> test;        // b vs a
  std::optional<Interval> ci;       // 95% CI of delta, in its unit
  std::optional<double> p_adjusted;
  bool too_few_seeds = false;  // as AblationRow::too_few_seeds
  // Seeds Δ and the test are over (SeedComparison): those both sides have done, or none in common
  // (0: Welch over all); common_seeds_only when a side has done seeds the other has not.
  int seeds_compared = 0;
  bool common_seeds_only = false;
};

// A config key the two sweeps' baselines set differently, each value as text ("(varies)": not
// one value across that side's baseline jobs).
struct ConfigDifference {
  std::string key, a, b;
  std::string text(const std::string& arrow = " → ") const { return key + ": " + a + arrow + b; }
  bool operator<(const ConfigDifference& o) const { return std::tie(key, a, b) < std::tie(o.key, o.a, o.b); }
};

struct Comparison {
  std::string sweep_a, sweep_b;
  std::string db_a, db_b;  // the databases, when the sweeps come from two (else both empty)
  ReportMetric metric = report_metric("test_acc");
  // The config keys the two baselines do not share (what Δ measures, or a mistake such as another
  // dataset): of every baseline row both have (one per grid/zip cell), or when none matches by
  // label, of the two whole baseline sections.
  std::vector<ConfigDifference> baseline_differences;
  std::vector<CompareRow> rows;  // A's order, then variants only B has
  int comparisons = 0;
  bool any_paired = false, any_welch = false, any_too_few = false;
  bool any_untested_means = false;  // a row marked n<3 (W) (SeedComparison::means_untested)
  bool any_no_spread = false;    // a variant with 2+ seeds compared in pairs whose differences have no spread
  bool any_common_only = false;  // a row compared over a subset of its seeds (CompareRow::common_seeds_only)
};

Comparison compare_sweeps(const ResultStore& store_a, const std::string& sweep_a, const ResultStore& store_b,
                          const std::string& sweep_b, const std::string& metric = "test_acc");

std::string format_comparison(const Comparison& c, OutputFormat format);
// Which test, which correction, what n<3 means, what the baselines' configs do not share; the
// sweep names escaped for markdown, and ASCII symbols for LaTeX (where it is a comment below the
// table; names and config values are as typed).
std::string comparison_note(const Comparison& c, OutputFormat format = OutputFormat::Table);

}  // namespace ms
