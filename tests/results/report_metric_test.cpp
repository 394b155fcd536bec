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

class ReportMetrics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fill_tiny_db(dir_->file("r.db"));
    fill_sequence_db(dir_->file("r.db"));
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
  EXPECT_NEAR(*row(loss, "model.mixers=identity").delta, 0.10, 1e-12);      // not ×100
  EXPECT_NEAR(*row(acc, "model.mixers=identity").delta, -10.0, 1e-9);       // points
  EXPECT_TRUE(row(loss, "model.mixers=attention").best);                    // lowest loss
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
  EXPECT_NE(md.find(" +0.0000 |"), std::string::npos) << md;  // layernorm: 0.18 − 0.18, never "-0.0000"
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
    EXPECT_NE(std::string(e.what()).find("no done job of sweep 'tiny' recorded it (only sequence tasks do)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(build_ablation(store, "tiny", "lr"), UsageError);  // not a report metric
}

TEST_F(ReportMetrics, CompareByLossNamesItsUnitAndTheBaselinesDifferences) {
  const ResultStore store(dir_->file("r.db"), OpenMode::ReadOnly);
  const Comparison c = compare_sweeps(store, "tiny", store, "seqs", "test_loss");
  ASSERT_FALSE(c.rows.empty());
  EXPECT_NEAR(*c.rows[0].delta, 0.0, 1e-12);  // the same results
  EXPECT_EQ(c.baseline_differences, std::vector<std::string>{"task.optimizer.lr: 0.001 → 0.003"});
  const auto json = nlohmann::json::parse(format_comparison(c, OutputFormat::Json));
  EXPECT_EQ(json["metric"], "test_loss");
  EXPECT_TRUE(json["rows"][0].contains("delta"));
  EXPECT_FALSE(json["rows"][0].contains("delta_pts"));
  const std::string table = format_comparison(c, OutputFormat::Table);
  EXPECT_NE(table.find("A test loss"), std::string::npos) << table;
  EXPECT_NE(table.find("Δ B−A (test loss)"), std::string::npos) << table;
  EXPECT_NE(table.find("lower is better"), std::string::npos) << table;
  EXPECT_NE(table.find("The baselines' configs differ: task.optimizer.lr: 0.001 → 0.003."), std::string::npos)
      << table;
  EXPECT_TRUE(compare_sweeps(store, "tiny", store, "tiny").baseline_differences.empty());

  // Another sweep whose baseline trains 4 epochs at another lr: the note says so, key by key.
  TempDir dir;
  std::string text = kTinySweep;
  text.replace(text.find("name: tiny"), 10, "name: long");
  text.replace(text.find("epochs: 3"), 9, "epochs: 4");
  text.replace(text.find("lr: 1.0e-3"), 10, "lr: 2.0e-3");
  const SweepSpec spec = parse_sweep(text, "long.yaml", results_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  {
    ResultStore w(dir.file("long.db"), OpenMode::Writer);
    w.register_sweep(spec, text, jobs, false);
    for (const Job& job : jobs) {
      w.job_started(job.id, "host");
      w.record_epoch(job.id, tiny_epoch(0.9, 4, job.seed));
      w.job_finished(job.id, JobStatus::Done, "", 1.0);
    }
  }
  const ResultStore other(dir.file("long.db"), OpenMode::ReadOnly);
  const Comparison d = compare_sweeps(store, "tiny", other, "long");
  EXPECT_EQ(d.baseline_differences,
            (std::vector<std::string>{"task.epochs: 3 → 4", "task.optimizer.lr: 0.001 → 0.002"}));
  const std::string note = comparison_note(d);
  EXPECT_NE(note.find("The baselines' configs differ: task.epochs: 3 → 4; task.optimizer.lr: 0.001 → 0.002."),
            std::string::npos)
      << note;
  const std::string tex = format_comparison(d, OutputFormat::Latex);
  EXPECT_NE(tex.find("task.epochs: 3 -> 4"), std::string::npos) << tex;
  EXPECT_NE(nlohmann::json::parse(format_comparison(d, OutputFormat::Json))["baseline_differences"].size(), 0u);
}

// CSV for pandas: one number per cell in the JSON form's units, statuses as words, gaps empty.
TEST_F(ReportMetrics, CompareCsvCellsAreNumbers) {
  const ResultStore store(dir_->file("r.db"), OpenMode::ReadOnly);
  const Comparison c = compare_sweeps(store, "tiny", store, "seqs");
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
  EXPECT_DOUBLE_EQ(std::stod(csv[1][col("delta_pts")]), 0.0);
  EXPECT_EQ(csv[1][col("test")], "");  // identical results: nothing to test
  for (const auto& line : csv)
    for (const char* numeric : {"a_mean", "b_mean", "delta_pts", "ci_low_pts", "p_holm"}) {
      const std::string& cell = line[col(numeric)];
      if (&line == &csv[0] || cell.empty()) continue;
      size_t used = 0;
      std::stod(cell, &used);
      EXPECT_EQ(used, cell.size()) << numeric << ": " << cell;
    }
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
