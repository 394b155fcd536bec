// `metasweep compare --db FILE SWEEP_A SWEEP_B [--db-b FILE] [--metric NAME] [--format ...]`: two
// sweeps side by side, variant by variant, with Δ = B − A, its confidence interval and a t-test,
// and what the two baselines' configs do not share. Read-only.
#include <iostream>
#include <memory>

#include "cli/options.h"
#include "results/reports/compare.h"
#include "results/reports/report_metric.h"
#include "results/store/store.h"
#include "sweeps/errors.h"

namespace ms::cli {

namespace {

const char* kCompareUsage = R"(usage: metasweep compare --db FILE SWEEP_A SWEEP_B [--db-b FILE] [--metric NAME]
                         [--format table|csv|json|markdown|latex]

Puts two sweeps side by side: variants matched by section and label, each side's test accuracy
(mean ± std over done seeds), Δ = B − A in points with its 95% confidence interval, and a
two-sided t-test (paired by seed over the seeds both sides have done, with Δ over them too, marked
† when a side has others; Welch's over all done seeds when they share fewer than 2; Holm-adjusted
over the variants; no p-value below 3 seeds compared). The note lists the config
keys the two baselines do not share: what Δ measures.
  --db-b FILE    read SWEEP_B from another database (default: the same one)
  --metric NAME  compare this metric instead: test_acc (default), test_seq_acc, test_loss or
                 train_loss (lower is better; Δ in its own unit)
  --format csv   one number per cell, for pandas (a_mean as stored: a fraction for accuracies;
                 delta, ci_low, ci_high in points for an accuracy, in the metric's unit otherwise))";

}  // namespace

int cmd_compare(const Args& args) {
  po::options_description options("compare options");
  std::string db, db_b, sweep_a, sweep_b, format = "table", metric = "test_acc";
  options.add_options()("db", po::value(&db)->required(), "results database (SQLite)")(
      "sweep-a", po::value(&sweep_a), "sweep A")("sweep-b", po::value(&sweep_b), "sweep B")(
      "db-b", po::value(&db_b), "database of sweep B (default: --db)")(
      "metric", po::value(&metric), "test_acc | test_seq_acc | test_loss | train_loss")(
      "format", po::value(&format), "table | csv | json | markdown | latex");
  po::positional_options_description positional;
  positional.add("sweep-a", 1).add("sweep-b", 1);
  po::variables_map vm;
  if (!parse_options(args, kCompareUsage, options, positional, vm)) return 0;
  if (sweep_a.empty() || sweep_b.empty())  // positional: Boost's "--sweep-b is required" names no flag the user has
    throw UsageError(std::string("give two sweeps to compare: metasweep compare --db FILE SWEEP_A SWEEP_B") +
                     (sweep_a.empty() ? "" : " (only " + sweep_a + " was given)"));
  check_choice("format", format, output_format_names());
  check_choice("metric", metric, report_metric_names());
  ResultStore store_a(db, OpenMode::ReadOnly);
  std::unique_ptr<ResultStore> other;
  if (!db_b.empty() && db_b != db) other = std::make_unique<ResultStore>(db_b, OpenMode::ReadOnly);
  const ResultStore& store_b = other ? *other : store_a;
  // Each as stored, in whichever Unicode encoding it was typed.
  const Comparison c =
      compare_sweeps(store_a, store_a.sweep_named(sweep_a), store_b, store_b.sweep_named(sweep_b), metric);
  std::cout << format_comparison(c, parse_output_format(format));
  return 0;
}

}  // namespace ms::cli
