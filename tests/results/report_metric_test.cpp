// `report` and `compare` rank by --metric: an accuracy in percent with Δ in points, a loss
// with lower better and Δ in its own unit; the best row, the Spearman sign and the CSV numbers
// follow the metric; a metric no done job recorded (sequence accuracy of an image task) is refused
// with the accepted values; compare names what the two baselines' configs do not share.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "results/reports/ablation.h"
#include "results/reports/compare.h"
#include "results/reports/report.h"
#include "sweeps/errors.h"
#include "tests/results/csv_reader.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

const AblationRow& row(const AblationTable& t, const std::string& variant) {
  for (const AblationRow& r : t.rows)
    if (r.variant == variant) return r;
  throw std::runtime_error("no row " + variant);
}

// The tiny sweep again under another name and lr (the same config would be the same jobs), each
// done job with tiny's accuracies and a sequence accuracy of 1 − its accuracy: ranked by it,
// every order is the reverse of test_acc's.
void fill_sequence_db(const std::string& path) {
  std::string text = kTinySweep;
  text.replace(text.find("name: tiny"), 10, "name: seqs");
  text.replace(text.find("lr: 1.0e-3"), 10, "lr: 3.0e-3");
  const SweepSpec spec = parse_sweep(text, "seqs.yaml", results_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  ResultStore store(path, OpenMode::Writer);
  store.register_sweep(spec, text, jobs, false);
  for (const Job& job : jobs) {
    const double acc = tiny_final_acc().at(job.variant).at(static_cast<size_t>(job.seed));
    store.job_started(job.id, "host");
    if (acc < 0) {
      store.job_finished(job.id, JobStatus::Failed, "boom", 0.5);
      continue;
    }
    EpochMetrics m = tiny_epoch(acc, 3, job.seed);
    m.test_seq_acc = 1 - acc;
    store.record_epoch(job.id, m);
    store.job_finished(job.id, JobStatus::Done, "", 1.0);
  }
}

// Two more sweeps to compare tiny with: "long" (4 epochs at lr 2e-3, every job done at tiny's
// accuracy, 0.5 where tiny's failed, plus 0.01 × (seed + 1)) and "grid" (1 epoch, a grid over the
// activation, every job done at 0.7).
void fill_other(const std::string& path) {
  std::string text = kTinySweep;
  text.replace(text.find("name: tiny"), 10, "name: long");
  text.replace(text.find("epochs: 3"), 9, "epochs: 4");
  text.replace(text.find("lr: 1.0e-3"), 10, "lr: 2.0e-3");
  const std::string grid = R"(name: grid
base:
  task: {dataset: synthetic-images, epochs: 1, batch_size: 16, optimizer: {lr: 1.0e-3}}
  model: {depths: [1, 1, 1, 1], dims: [8, 16, 32, 64], mixers: pool, head_dim: 8}
seeds: [0, 1, 2]
ablations:
  token mixer:
    model.mixers: [identity]
grid:
  model.activation: [gelu, relu]
)";
  ResultStore store(path, OpenMode::Writer);
  for (const auto& [name, yaml] :
       {std::make_pair(std::string("long"), text), std::make_pair(std::string("grid"), grid)}) {
    const SweepSpec spec = parse_sweep(yaml, name + ".yaml", results_catalog());
    const std::vector<Job> jobs = expand_sweep(spec, results_catalog());
    store.register_sweep(spec, yaml, jobs, false);
    for (const Job& job : jobs) {
      double acc = 0.7;
      if (name == "long") {
        const double tiny = tiny_final_acc().at(job.variant).at(static_cast<size_t>(job.seed));
        acc = (tiny < 0 ? 0.5 : tiny) + 0.01 * static_cast<double>(job.seed + 1);
      }
      store.job_started(job.id, "host");
      store.record_epoch(job.id, tiny_epoch(acc, 3, job.seed));
      store.job_finished(job.id, JobStatus::Done, "", 1.0);
    }
  }
}

class ReportMetrics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fill_tiny_db(dir_->file("r.db"));
    fill_sequence_db(dir_->file("r.db"));
    fill_other(dir_->file("r.db"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
};

TempDir* ReportMetrics::dir_ = nullptr;

TEST_F(ReportMetrics, ALossIsBestWhenLowestAndItsDeltaIsInItsOwnUnit) {
  const ResultStore store(dir_->file("r.db"), OpenMode::ReadOnly);
  const AblationTable acc = build_ablation(store, "tiny"), loss = build_ablation(store, "tiny", "test_loss");
  // Final test loss = 1 − accuracy: baseline 0.18, identity 0.28, attention 0.13.
  EXPECT_NEAR(row(loss, "model.mixers=identity").value->mean, 0.28, 1e-12);
  EXPECT_NEAR(*row(loss, "model.mixers=identity").delta, 0.10, 1e-12);  // not ×100
  EXPECT_NEAR(*row(acc, "model.mixers=identity").delta, -10.0, 1e-9);   // points
  EXPECT_TRUE(row(loss, "model.mixers=attention").best);                // lowest loss
  EXPECT_FALSE(row(loss, "model.mixers=identity").best);
  // The same seeds moved by the same amounts: the same tests, only the sign of Δ flips.
  EXPECT_NEAR(row(loss, "model.mixers=identity").test->p, row(acc, "model.mixers=identity").test->p, 1e-12);
  // The published reference is a score: a loss ranks against it the other way round.
  ASSERT_TRUE(acc.spearman && loss.spearman);
  EXPECT_NEAR(*loss.spearman, *acc.spearman, 1e-12);

  const std::string md = ablation_markdown(loss);
  EXPECT_NE(md.find(" test loss |"), std::string::npos) << md;
  EXPECT_NE(md.find("Δ (test loss)"), std::string::npos) << md;
  EXPECT_NE(md.find("| **0.1300 ± 0.0265 (3)** |"), std::string::npos) << md;  // attention, bold
  EXPECT_NE(md.find(" +0.1000 |"), std::string::npos) << md;
  // layernorm over the seeds both have done (0, 1): 0.19, 0.17 against 0.20, 0.18
  EXPECT_NE(md.find(" -0.0100† |"), std::string::npos) << md;
  EXPECT_NE(md.find("Final test loss: mean ± sample std over done seeds (n), lower is better."), std::string::npos)
      << md;
  EXPECT_EQ(md.find("in points"), std::string::npos) << md;
  // Counts in the unit of the column's largest: params up to 6 M, MACs up to 600 M (not 0.600 G).
  EXPECT_NE(md.find("| params (M) | MACs (M) |"), std::string::npos) << md;
  EXPECT_NE(md.find("|       6.00 |      600 |"), std::string::npos) << md;
}

TEST_F(ReportMetrics, SequenceAccuracyRanksByItselfAndAnImageSweepRefusesIt) {
  const ResultStore store(dir_->file("r.db"), OpenMode::ReadOnly);
  const AblationTable seq = build_ablation(store, "seqs", "test_seq_acc");
  // Sequence accuracy = 1 − accuracy: identity (0.28) now beats attention (0.13).
  EXPECT_NEAR(row(seq, "model.mixers=identity").value->mean, 0.28, 1e-12);
  EXPECT_NEAR(*row(seq, "model.mixers=identity").delta, 10.0, 1e-9);
  EXPECT_TRUE(row(seq, "model.mixers=identity").best);
  EXPECT_FALSE(row(build_ablation(store, "seqs"), "model.mixers=identity").best);
  const std::string md = ablation_markdown(seq);
  EXPECT_NE(md.find(" test seq. acc. (%) |"), std::string::npos) << md;
  EXPECT_NE(md.find("Final test sequence accuracy:"), std::string::npos) << md;

  try {
    build_ablation(store, "tiny", "test_seq_acc");
    FAIL() << "an image sweep has no sequence accuracy";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no job of sweep 'tiny' can record it (only sequence models"),
              std::string::npos)
        << e.what();
  }
  // Decided from the configs: refused before any job is done too (report --watch's first round).
  TempDir fresh;
  {
    ResultStore w(fresh.file("f.db"), OpenMode::Writer);
    w.register_sweep(tiny_spec(), kTinySweep, tiny_jobs(), false);
  }
  const ResultStore none_done(fresh.file("f.db"), OpenMode::ReadOnly);
  EXPECT_THROW(build_ablation(none_done, "tiny", "test_seq_acc"), UsageError);
  EXPECT_NO_THROW(build_ablation(none_done, "tiny", "test_loss"));  // nothing done yet: an empty table
  EXPECT_THROW(build_ablation(store, "tiny", "lr"), UsageError);    // not a report metric
}

TEST_F(ReportMetrics, CompareByLossNamesItsUnitAndTheBaselinesDifferences) {
  const ResultStore store(dir_->file("r.db"), OpenMode::ReadOnly);
  // long: baseline accuracies 0.81, 0.84, 0.87 against tiny's 0.80, 0.82, 0.84, so its test loss
  // (1 − accuracy) is lower by 0.01, 0.02, 0.03: Δ −0.02, paired.
  const Comparison c = compare_sweeps(store, "tiny", store, "long", "test_loss");
  ASSERT_FALSE(c.rows.empty());
  ASSERT_TRUE(c.rows[0].delta && c.rows[0].test && c.rows[0].ci);
  EXPECT_NEAR(*c.rows[0].delta, -0.02, 1e-12);  // not ×100
  EXPECT_TRUE(c.rows[0].test->paired);
  // CI: −0.02 ± t_{0.975,2} × 0.01 / √3, t_{0.975,2} = 0.95 / √0.04875 (in the loss's unit).
  const double half = 0.95 / std::sqrt(0.04875) * 0.01 / std::sqrt(3.0);
  EXPECT_NEAR(c.rows[0].ci->low, -0.02 - half, 1e-9);
  EXPECT_NEAR(c.rows[0].ci->high, -0.02 + half, 1e-9);
  const auto json = nlohmann::json::parse(format_comparison(c, OutputFormat::Json));
  EXPECT_EQ(json["metric"], "test_loss");
  EXPECT_EQ(json["delta_unit"], "test_loss");
  EXPECT_NEAR(json["rows"][0]["delta"].get<double>(), -0.02, 1e-12);
  EXPECT_FALSE(json["rows"][0].contains("delta_pts"));  // points only for an accuracy
  const auto by_acc =
      nlohmann::json::parse(format_comparison(compare_sweeps(store, "tiny", store, "long"), OutputFormat::Json));
  EXPECT_EQ(by_acc["delta_unit"], "points");
  EXPECT_NEAR(by_acc["rows"][0]["delta"].get<double>(), 2.0, 1e-9);
  EXPECT_EQ(by_acc["rows"][0]["delta_pts"], by_acc["rows"][0]["delta"]);  // the first release's name kept
  const std::string table = format_comparison(c, OutputFormat::Table);
  EXPECT_NE(table.find("A test loss"), std::string::npos) << table;
  EXPECT_NE(table.find("Δ B−A (test loss)"), std::string::npos) << table;
  EXPECT_NE(table.find(" -0.0200 "), std::string::npos) << table;
  EXPECT_NE(table.find("lower is better"), std::string::npos) << table;

  // What the baselines do not share: epochs and lr, key by key, in every format.
  const std::vector<ConfigDifference> expected = {{"task.epochs", "3", "4"}, {"task.optimizer.lr", "0.001", "0.002"}};
  ASSERT_EQ(c.baseline_differences.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(c.baseline_differences[i].key, expected[i].key);
    EXPECT_EQ(c.baseline_differences[i].a, expected[i].a);
    EXPECT_EQ(c.baseline_differences[i].b, expected[i].b);
  }
  EXPECT_NE(table.find("The baselines' configs differ: task.epochs: 3 → 4; task.optimizer.lr: 0.001 → 0.002."),
            std::string::npos)
      << table;
  EXPECT_NE(format_comparison(c, OutputFormat::Latex).find("task.epochs: 3 -> 4"), std::string::npos);
  EXPECT_EQ(json["baseline_differences"][0], (nlohmann::json{{"key", "task.epochs"}, {"a", "3"}, {"b", "4"}}));
  EXPECT_TRUE(compare_sweeps(store, "tiny", store, "tiny").baseline_differences.empty());
  EXPECT_EQ(comparison_note(compare_sweeps(store, "tiny", store, "tiny")).find("differ:"), std::string::npos);
}

// A grid sweep's baselines ("baseline, model.activation=gelu", ...) match no plain "baseline" by
// label: the whole baseline sections are compared, and the grid key shows as varying.
TEST_F(ReportMetrics, CompareFindsTheDifferencesWhenNoBaselineLabelMatches) {
  const ResultStore store(dir_->file("r.db"), OpenMode::ReadOnly);
  const Comparison c = compare_sweeps(store, "tiny", store, "grid");
  std::vector<std::string> lines;
  for (const ConfigDifference& d : c.baseline_differences) lines.push_back(d.text());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "model.activation: gelu → (varies)"), lines.end())
      << testing::PrintToString(lines);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "task.epochs: 3 → 1"), lines.end()) << testing::PrintToString(lines);
}

// CSV for pandas: one number per cell, the same columns for every metric, statuses as words,
// gaps empty; checked on two sweeps that differ, so CIs and p-values are there to check.
TEST_F(ReportMetrics, CompareCsvCellsAreNumbers) {
  const ResultStore store(dir_->file("r.db"), OpenMode::ReadOnly);
  const Comparison c = compare_sweeps(store, "tiny", store, "long");
  const auto csv = parse_csv(format_comparison(c, OutputFormat::Csv));
  ASSERT_EQ(csv.size(), c.rows.size() + 1);
  const std::vector<std::string>& header = csv[0];
  auto col = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<size_t>(it - header.begin());
  };
  EXPECT_EQ(csv[1][col("variant")], "baseline");
  EXPECT_DOUBLE_EQ(std::stod(csv[1][col("a_mean")]), 0.82);
  EXPECT_NEAR(std::stod(csv[1][col("a_std")]), 0.02, 1e-12);
  EXPECT_EQ(csv[1][col("a_n")], "3");
  EXPECT_EQ(csv[1][col("a_status")], "3 done");
  EXPECT_NEAR(std::stod(csv[1][col("delta")]), 2.0, 1e-9);  // points
  EXPECT_EQ(csv[1][col("test")], "paired");
  size_t numbers = 0;
  for (size_t i = 1; i < csv.size(); ++i)
    for (const char* numeric : {"a_mean", "a_std", "b_mean", "delta", "ci_low", "ci_high", "p", "p_holm"}) {
      const std::string& cell = csv[i][col(numeric)];
      if (cell.empty()) continue;
      size_t used = 0;
      std::stod(cell, &used);
      EXPECT_EQ(used, cell.size()) << numeric << ": " << cell;
      ++numbers;
    }
  EXPECT_GE(numbers, 30u);
  EXPECT_EQ(header, parse_csv(format_comparison(compare_sweeps(store, "tiny", store, "long", "test_loss"),
                                                OutputFormat::Csv))[0]);  // same columns for a loss
}

TEST_F(ReportMetrics, ThroughTheBinary) {
  const std::string bin = shell_quote(metasweep_bin()), db = shell_quote(dir_->file("r.db"));
  const CommandResult bad = run_command(bin + " report --db " + db + " --sweep tiny --out " +
                                        shell_quote(dir_->file("out")) + " --metric accuracy");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--metric 'accuracy': expected one of test_acc, test_seq_acc, test_loss, train_loss"),
            std::string::npos)
      << bad.err;
  const CommandResult image = run_command(bin + " compare --db " + db + " tiny seqs --metric test_seq_acc");
  EXPECT_EQ(image.exit_code, 2) << image.err;
  const CommandResult report = run_command(bin + " report --db " + db + " --sweep seqs --out " +
                                           shell_quote(dir_->file("out")) + " --metric test_seq_acc");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const std::string md = read_file(dir_->file("out/report.md"));
  EXPECT_NE(md.find(" test seq. acc. (%) |"), std::string::npos) << md;
}

}  // namespace
}  // namespace ms::test
