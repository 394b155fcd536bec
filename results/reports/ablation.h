// The paper-style ablation table of one sweep: section by section in the sweep file's order,
// each variant's metric (test accuracy unless --metric says otherwise) mean ± std over seeds
// (n), Δ vs the baseline (in points for an accuracy) with its 95% confidence interval, a t-test
// against the baseline (paired by seed over the seeds both have done, Δ too; Welch's when they
// share fewer than 2; no p-value below 3 seeds compared; Holm-adjusted over the variants compared
// with one baseline: with grid/zip cells, within each cell), params and MACs (in M and G, or the
// unit their largest value reads best in), throughput; the best of a section in bold where it
// beats its baseline; diverged/failed shown as such; optional
// published reference values with the Spearman correlation between the two orderings.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <algorithm>

#include "results/reports/report_metric.h"
#include "results/reports/stats.h"
#include "results/reports/text_table.h"
#include "results/store/query.h"
#include "results/store/store.h"

namespace ms {

struct AblationRow {
  GroupRow group;  // section + variant group
  std::string section, variant;
  std::optional<Summary> value;  // the table's metric over done seeds (as stored: a fraction for accuracies)
  std::optional<double> delta;   // (mean - baseline mean) * metric.scale() (points for accuracies)
  std::optional<TTest> test;     // vs the baseline (n >= 2 on each side)
  std::optional<Interval> ci;    // 95% CI of delta (from `test`), in delta's unit
  std::optional<double>
      p_adjusted;  // Holm within its cell's family (every variant without cells); none when too_few_seeds
  // A side has < kMinSeedsForP seeds compared (paired: in common), or, unpaired, < 2: no p-value.
  bool too_few_seeds = false;
  bool common_seeds_only = false;  // Δ, CI and p over the seeds it and its baseline both have done
  bool unpaired = false;           // Δ is of the means over all done seeds (no seed pairs: W)
  std::optional<double> reference;
  // Best mean (by the metric's direction) of its section within its grid/zip cell, of 2+ rows
  // there, and better than its baseline by Δ: never the best of variants that all lose.
  bool best = false;
  std::string cell;  // the grid/zip cell's label ("" without grid/zip)
  // The row of its cell's baseline (Δ, the CI and the p-value are against it); none for a
  // baseline row, or when the sweep's exclusions removed the baseline of this cell.
  std::optional<size_t> baseline_row;
  bool equal_to_baseline = false;  // SeedComparison::equal_without_test: p = 1 in its Holm family
};

struct AblationTable {
  std::string sweep, description, reference_metric;
  ReportMetric metric = report_metric("test_acc");
  std::vector<AblationRow> rows;  // baseline first, then sections in file order
  std::vector<size_t> section_starts;
  std::optional<double> spearman;  // ours vs the reference, over variants with both
  int reference_n = 0;
  int comparisons = 0;             // p-values, over every Holm family
  int families = 0;                // Holm families: one per grid/zip cell with a p-value (1 without cells)
  int largest_family = 0;          // p-values in the largest family (1: nothing to adjust)
  bool cells = false;              // the sweep has grid/zip cells: every variant is compared within its own cell
  int cells_without_baseline = 0;  // rows whose cell's baseline was excluded: no Δ
  bool baseline_done = false;      // some baseline row has a done seed (else no Δ anywhere)
  bool any_zero_spread = false;    // a test whose differences have no spread (infinite t, a zero-width CI)
  bool any_identical = false;      // a variant equal to its baseline seed by seed (no test: nothing varies)
  bool any_paired = false, any_welch = false, any_too_few = false;
  bool any_common_only = false;     // a row compared over a subset of its seeds (AblationRow::common_seeds_only)
  bool any_untested_means = false;  // a row marked n<3 (W) (SeedComparison::means_untested)
  bool any_single_pair = false;     // a row compared over one seed pair (SeedComparison::single_pair)
  bool any_best = false;            // a row in bold (AblationRow::best)
  int variants = 0;                 // rows compared with a baseline (every row but the baselines)
  bool any_short = false;           // such a row, or its baseline, has fewer than 2 done seeds: no test
  bool baseline_live = false;       // a baseline job is still pending or running
  // Done jobs trained under a training semantics older than their config needs (or not recorded:
  // sweeps/version.h, semantics_needed), and the others.
  int older_done = 0, current_done = 0;
  // Done jobs whose last epoch skipped corrupt test images (task.on_corrupt: skip), and how many
  // images those were in all: their test metrics are over fewer images than the split holds.
  int jobs_skipping_test = 0;
  int64_t skipped_test = 0;
  // Done jobs by what trained them (JobRow::device; "": not recorded): the samples/s column is
  // comparable only within one.
  std::map<std::string, int> devices_done;
};

// The baseline rows that rows [begin, end) of the table are compared with (one per grid/zip cell
// they cover), distinct, in table order; only those with a done seed.
std::vector<const AblationRow*> baselines_of(const AblationTable& t, size_t begin, size_t end);
// The same for the rows `of` (indices into t.rows), e.g. the part of a section a figure shows.
std::vector<const AblationRow*> baselines_of(const AblationTable& t, const std::vector<size_t>& of);

constexpr int kMinSeedsForP = 3;  // fewer seeds compared (paired: done on both sides): no p-value
constexpr double kCiLevel = 0.95;

AblationTable build_ablation(const ResultStore& store, const std::string& sweep,
                             const std::string& metric = "test_acc");

// Throws ms::UsageError when some job of `groups` is done but none recorded `metric` (e.g.
// test_seq_acc of an image task): a table of dashes would look like missing results.
void check_metric_recorded(const std::vector<GroupRow>& groups, const std::string& sweep, const ReportMetric& metric);

// Cell texts the ablation table and `compare` share: a metric's mean ± std (n) in its display
// unit ("82.00 ± 2.00 (3)", "82.00 (1)"); a CI ("[-1.48, +3.48]"); a Holm-adjusted p ("0.225",
// "<0.001", "n<3", "(W)" for Welch's test, "-" without one).
std::string summary_text(const Summary& s, const ReportMetric& m, const std::string& pm = " ± ");
std::string interval_text(const Interval& ci, int decimals);
// `unpaired`: Δ is of the means (W), with or without a test.
std::string p_value_text(const std::optional<TTest>& test, bool too_few_seeds, std::optional<double> p_adjusted,
                         bool unpaired);

// A metric's final value by seed of a group's done jobs (as stored).
std::map<int64_t, double> done_by_seed(const GroupRow& g, const std::string& metric);

// a against b seed by seed. Seeds are paired runs (the same data order and initial draws where
// the config allows): where both sides have done seeds in common, Δ and the test are over those
// seeds only, so a seed one side has not finished (a sweep in progress, a failed job) never
// passes for an effect. All done values are compared (Welch, difference of means) only without a
// seed in common, or with one when both sides have 2+ (one pair tests nothing).
struct SeedComparison {
  double delta = 0;             // as stored: mean over the common seeds of a - b, or mean(a) - mean(b) (Welch)
  std::optional<TTest> test;    // paired over >= 2 common seeds, or Welch (>= 2 a side)
  int common = 0;               // seeds compared in pairs (0: Welch over all done seeds)
  int n_a = 0, n_b = 0;         // done seeds a side
  bool means_untested = false;  // no seed in common and a side with one done seed: Δ of the means, no test
  bool subset = false;          // compared in pairs, and a side has done seeds the other has not
  // One seed in common and a side with only that one done: Δ is that seed's difference, no test.
  bool single_pair = false;
  // Enough seeds for a p-value but no test, since the sides do not differ at all (every pair equal;
  // unpaired, every value the same): a hypothesis tested and not rejected, so a Holm family counts
  // it with p = 1 rather than shrinking by one.
  bool equal_without_test() const {
    return !test && (common >= kMinSeedsForP || (common == 0 && std::min(n_a, n_b) >= kMinSeedsForP));
  }
};
// The note on a Δ marked as over a subset of seeds (SeedComparison::subset), shared by the
// ablation table and `compare`: `mark` as the format writes it, `who` the two sides and their verb
// ("the row and its baseline both have", "both sides have"), `delta` and `pm` the format's Δ and ±.
std::string common_seeds_note(const std::string& mark, const std::string& who, const std::string& delta,
                              const std::string& pm);
// The note on such a Δ (SeedComparison::means_untested), shared by the ablation table and `compare`.
extern const char* const kUntestedMeansNote;
// None when a side has no done value of the metric.
std::optional<SeedComparison> compare_seeds(const GroupRow& a, const GroupRow& b, const std::string& metric);

enum class TableStyle { Markdown, Latex, Html };
// The cells for one style (bold best, ± and Δ spelled for the target).
TextTable ablation_text_table(const AblationTable& t, TableStyle style);

std::string ablation_markdown(const AblationTable& t);
std::string ablation_latex(const AblationTable& t);  // a complete table environment
std::string ablation_html(const AblationTable& t);

// What `make demo` prints: the markdown ablation table of a sweep in a database.
std::string ablation_markdown(const std::string& db_path, const std::string& sweep,
                              const std::string& metric = "test_acc");

}  // namespace ms
