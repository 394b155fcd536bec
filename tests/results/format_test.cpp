// Every output format parses: CSV with a small RFC 4180 reader, JSON with nlohmann::json,
// LaTeX has booktabs rules, markdown has one row per job; plus the report files.
#include "results/reports/format.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "results/reports/ablation.h"
#include "results/reports/plots.h"
#include "results/reports/report.h"
#include "results/reports/text_table.h"
#include "sweeps/user_text.h"
#include "tests/results/csv_reader.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

class Formats : public ::testing::Test {
 protected:
  void SetUp() override {
    fill_tiny_db(dir_.file("r.db"));
    store_ = std::make_unique<ResultStore>(dir_.file("r.db"), OpenMode::ReadOnly);
    ResultQuery q;
    q.sweep = "tiny";
    rows_ = select_jobs(*store_, q);
  }
  TempDir dir_;
  std::unique_ptr<ResultStore> store_;
  std::vector<JobRow> rows_;
};

TEST_F(Formats, CsvIsRectangularAndQuoted) {
  const auto csv = parse_csv(format_jobs(rows_, OutputFormat::Csv));
  ASSERT_EQ(csv.size(), 19u);
  for (const auto& row : csv) {
    EXPECT_EQ(row.size(), csv[0].size());
  }
  EXPECT_EQ(csv[0][0], "id");
  const auto variant = std::find(csv[0].begin(), csv[0].end(), "variant") - csv[0].begin();
  EXPECT_EQ(csv[10][variant], "[P,P,A,A]");  // commas survive quoting
  const auto mixers = std::find(csv[0].begin(), csv[0].end(), "model.mixers") - csv[0].begin();
  ASSERT_LT(static_cast<size_t>(mixers), csv[0].size());
  EXPECT_EQ(csv[10][mixers], R"(["pool","pool","attention","attention"])");
  const auto grouped = parse_csv(format_groups(group_jobs(rows_, {"section", "variant"}), OutputFormat::Csv));
  ASSERT_EQ(grouped.size(), 7u);
  const auto mean = std::find(grouped[0].begin(), grouped[0].end(), "test_acc_mean") - grouped[0].begin();
  EXPECT_NEAR(std::stod(grouped[1][mean]), 0.82, 1e-12);
}

TEST_F(Formats, JsonHasTheContractFields) {
  const auto jobs = nlohmann::json::parse(format_jobs(rows_, OutputFormat::Json));
  ASSERT_EQ(jobs.size(), 18u);
  for (const char* field : {"id", "sweep", "section", "variant", "seed", "status", "epochs_done", "params", "macs",
                            "test_acc", "test_loss", "train_loss", "wall_s", "samples_per_s", "config"})
    EXPECT_TRUE(jobs[0].contains(field)) << field;
  EXPECT_EQ(jobs[0]["config"]["model"]["norm"], "group1");
  EXPECT_NEAR(jobs[0]["test_acc"].get<double>(), 0.80, 1e-12);
  const auto groups =
      nlohmann::json::parse(format_groups(group_jobs(rows_, {"section", "variant"}), OutputFormat::Json));
  ASSERT_EQ(groups.size(), 6u);
  EXPECT_NEAR(groups[0]["mean"]["test_acc"].get<double>(), 0.82, 1e-12);
  EXPECT_NEAR(groups[0]["std"]["test_acc"].get<double>(), 0.02, 1e-12);
  EXPECT_EQ(groups[0]["n"]["test_acc"], 3);
  EXPECT_TRUE(groups[4]["diverged"].get<bool>());
  EXPECT_TRUE(groups[5]["std"]["test_acc"].is_null());
}

TEST_F(Formats, TableMarkdownLatex) {
  const std::string table = format_jobs(rows_, OutputFormat::Table);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 20);
  const std::string md = format_groups(group_jobs(rows_, {"section", "variant"}), OutputFormat::Markdown);
  EXPECT_NE(md.find("| baseline"), std::string::npos);
  EXPECT_NE(md.find("2 done, 1 diverged"), std::string::npos);
  const std::string tex = format_groups(group_jobs(rows_, {"section", "variant"}), OutputFormat::Latex, "test_acc");
  for (const char* rule : {"\\toprule", "\\midrule", "\\bottomrule"}) {
    EXPECT_NE(tex.find(rule), std::string::npos);
  }
  EXPECT_NE(tex.find("$\\pm$"), std::string::npos);
  EXPECT_NE(tex.find("model.mixers=identity"), std::string::npos);
}

TEST_F(Formats, AblationTableAgainstHandValues) {
  const AblationTable t = build_ablation(*store_, "tiny");
  ASSERT_EQ(t.rows.size(), 6u);
  EXPECT_EQ(t.section_starts, (std::vector<size_t>{0, 1, 3, 4}));
  EXPECT_NEAR(*t.rows[1].delta_pts, -10.0, 1e-9);  // identity 72.00 vs 82.00
  ASSERT_TRUE(t.rows[1].test);
  EXPECT_TRUE(t.rows[1].test->paired);  // same seeds 0, 1, 2
  EXPECT_TRUE(t.rows[2].best);          // attention beats identity
  EXPECT_FALSE(t.rows[1].best);
  EXPECT_FALSE(t.rows[4].test && t.rows[4].test->paired);  // layernorm: seeds 0, 1 only -> Welch
  // Reference ordering: baseline 77.2, identity 74.3, attention 76.0, PPAA 78.0 vs ours
  // 82, 72, 87, 87 -> ranks (2,1,3,4) vs (2,1,3.5,3.5): rho = 0.9487 (ties averaged).
  ASSERT_TRUE(t.spearman);
  EXPECT_EQ(t.reference_n, 4);
  EXPECT_NEAR(*t.spearman, 3 / std::sqrt(22.5), 1e-12);
  const std::string md = ablation_markdown(t);
  EXPECT_NE(md.find("**87.00 ± 2.65 (3)**"), std::string::npos) << md;
  EXPECT_NE(md.find("ImageNet top-1 \\(%\\)"), std::string::npos) << md;  // user text, escaped
}

// Hand-worked with the closed form of the t distribution at df = 2, P(|T| >= t) = 1 - t / sqrt(t^2 + 2),
// independent of stats.cpp's incomplete beta: differences from the baseline by seed
//   identity  -0.10 -0.11 -0.09: mean -0.10, sd 0.01 -> t = -17.3205, p = 0.0033168
//   attention +0.05 +0.04 +0.06: mean +0.05, sd 0.01 -> t =  8.6603, p = 0.0130725
//   [P,P,A,A] +0.08 +0.05 +0.02: mean +0.05, sd 0.03 -> t =  2.8868, p = 0.1019735
// Holm over m = 3: 3 * 0.0033168, max(2 * 0.0130725, that), max(0.1019735, that).
TEST_F(Formats, AblationHolmConfidenceIntervalsAndTooFewSeeds) {
  const AblationTable t = build_ablation(*store_, "tiny");
  auto p2 = [](double tt) { return 1 - std::fabs(tt) / std::sqrt(tt * tt + 2); };
  const double p_identity = p2(-0.10 / (0.01 / std::sqrt(3.0))), p_attention = p2(0.05 / (0.01 / std::sqrt(3.0))),
               p_ppaa = p2(0.05 / (0.03 / std::sqrt(3.0)));
  EXPECT_NEAR(p_identity, 0.0033168, 1e-7);
  ASSERT_TRUE(t.rows[1].test && t.rows[2].test && t.rows[3].test);
  EXPECT_NEAR(t.rows[1].test->p, p_identity, 1e-9);
  EXPECT_NEAR(t.rows[3].test->p, p_ppaa, 1e-9);
  EXPECT_EQ(t.comparisons, 3);
  ASSERT_TRUE(t.rows[1].p_adjusted && t.rows[2].p_adjusted && t.rows[3].p_adjusted);
  EXPECT_NEAR(*t.rows[1].p_adjusted, 3 * p_identity, 1e-9);
  EXPECT_NEAR(*t.rows[2].p_adjusted, 2 * p_attention, 1e-9);
  EXPECT_NEAR(*t.rows[3].p_adjusted, p_ppaa, 1e-9);
  // 95% CI in points: mean ± t_{0.975,2} sd / sqrt(3), t_{0.975,2} = 0.95 / sqrt(0.04875).
  const double t975 = 0.95 / std::sqrt(0.04875);
  ASSERT_TRUE(t.rows[1].ci_pts && t.rows[3].ci_pts);
  EXPECT_NEAR(t.rows[1].ci_pts->low, -10 - t975 * 1 / std::sqrt(3.0), 1e-7);
  EXPECT_NEAR(t.rows[1].ci_pts->high, -10 + t975 * 1 / std::sqrt(3.0), 1e-7);
  EXPECT_NEAR(t.rows[3].ci_pts->low, 5 - t975 * 3 / std::sqrt(3.0), 1e-7);
  // layernorm: 2 done seeds vs 3 -> a Welch CI but no p-value, and it is not in the Holm family.
  ASSERT_TRUE(t.rows[4].test);
  EXPECT_TRUE(t.rows[4].too_few_seeds);
  EXPECT_FALSE(t.rows[4].p_adjusted);
  EXPECT_TRUE(t.rows[4].ci_pts);
  EXPECT_FALSE(t.rows[5].test);  // batchnorm: 1 done seed, nothing to test
  const std::string md = ablation_markdown(t);
  EXPECT_NE(md.find("p vs baseline (Holm)"), std::string::npos) << md;
  EXPECT_NE(md.find("95% CI of Δ"), std::string::npos) << md;
  EXPECT_NE(md.find("[-12.48, -7.52]"), std::string::npos) << md;  // identity, by hand above
  EXPECT_NE(md.find(" 0.010 |"), std::string::npos) << md;         // 3 * 0.0033168
  EXPECT_NE(md.find(" n<3 |"), std::string::npos) << md;           // a "<" that cannot open a tag stays
  EXPECT_EQ(md.find("<0.001"), std::string::npos) << md;
  for (const char* said : {"Student's paired t-test", "Welch's unequal-variances t-test", "Holm-adjusted",
                           "for the 3 variants", "fewer than 3 done seeds"})
    EXPECT_NE(md.find(said), std::string::npos) << said << "\n" << md;
  const std::string tex = ablation_latex(t);
  EXPECT_NE(tex.find("$n<3$"), std::string::npos);
  EXPECT_NE(tex.find("95\\% CI of $\\Delta$"), std::string::npos) << tex;
  EXPECT_EQ(tex.find("95% CI"), std::string::npos) << "an unescaped % comments out the caption's end: " << tex;
}

// The issue's case: two seeds a side with a large, consistent gap printed p < 0.001. Now: no p.
TEST(AblationStats, TwoSeedsPerSideGiveNoPValue) {
  TempDir dir;
  const std::vector<Job> jobs = tiny_jobs();
  {
    ResultStore store(dir.file("two.db"), OpenMode::Writer);
    store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
    for (const Job& job : jobs) {
      if (job.seed == 2) continue;
      store.job_started(job.id, "host");
      const double acc = job.variant == "baseline" ? 0.8000 + 0.0001 * job.seed : 0.7844 + 0.0001 * job.seed;
      store.record_epoch(job.id, tiny_epoch(acc, 3, job.seed));  // epoch 3: test_acc = acc
      store.job_finished(job.id, JobStatus::Done, "", 1.0);
    }
  }
  ResultStore store(dir.file("two.db"), OpenMode::ReadOnly);
  const AblationTable t = build_ablation(store, "tiny");
  EXPECT_EQ(t.comparisons, 0);
  for (size_t i = 1; i < t.rows.size(); ++i) {
    ASSERT_TRUE(t.rows[i].test) << i;
    EXPECT_TRUE(t.rows[i].too_few_seeds);
    EXPECT_FALSE(t.rows[i].p_adjusted);
  }
  const std::string md = ablation_markdown(t);
  EXPECT_EQ(md.find("<0.001"), std::string::npos) << md;
  EXPECT_EQ(md.find("Holm"), std::string::npos) << md;
  EXPECT_NE(md.find("n<3"), std::string::npos) << md;
}

TEST_F(Formats, ReportWritesThreeFiles) {
  const std::string out = dir_.file("report");
  const ReportFiles files = write_report(*store_, "tiny", out);
  const std::string html = read_file(files.html);
  EXPECT_NE(html.find("<table class=\"ablation\">"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);  // self-contained
  EXPECT_NE(read_file(files.latex).find("\\toprule"), std::string::npos);
  EXPECT_NE(read_file(files.markdown).find("| baseline"), std::string::npos);
  if (gnuplot_available()) {
    EXPECT_TRUE(files.plot_note.empty()) << files.plot_note;
    // Curves: 3 panels (test acc, train loss, test loss) for the baseline and for each of the 3
    // sections, which also get a dot plot; 2 scatters.
    EXPECT_EQ(files.plots.size(), 3u + 3 * (3 + 1) + 2);
    const std::string md = read_file(files.markdown);
    for (const char* panel : {"section1_test_acc.svg", "section1_train_loss.svg", "section3_test_loss.svg"})
      EXPECT_NE(md.find(panel), std::string::npos) << panel;
    // A curve panel: the baseline drawn dashed in a section's panel, bands filled.
    const std::string curves = read_file(out + "/plots/section1_test_acc.svg");
    EXPECT_NE(curves.find(">baseline<"), std::string::npos);
    EXPECT_NE(curves.find("model.mixers=identity"), std::string::npos);
    EXPECT_NE(curves.find("stroke-dasharray"), std::string::npos);
    EXPECT_NE(curves.find("fill-opacity"), std::string::npos) << "no shaded band";
    // A dot plot: every done seed a hollow circle (gnuplot's point type 6), the mean ± std, the
    // baseline dashed across; no bars from an arbitrary floor.
    const std::string dots = read_file(out + "/plots/section1_dots.svg");
    size_t seeds = 0;
    for (size_t at = dots.find("#gpPt5"); at != std::string::npos; at = dots.find("#gpPt5", at + 1)) ++seeds;
    EXPECT_GE(seeds, 5u) << "every seed's point";  // gnuplot numbers point types from 0: pt 6 is gpPt5
    EXPECT_NE(dots.find(">seeds<"), std::string::npos);
    EXPECT_NE(dots.find("mean ± std"), std::string::npos);
    EXPECT_NE(dots.find("stroke-dasharray"), std::string::npos) << "the baseline's mean";
    // Scatters: points numbered, the key naming each number, units chosen for the axis.
    const std::string macs = read_file(out + "/plots/acc_vs_macs.svg");
    EXPECT_NE(macs.find(">1 "), std::string::npos) << "key entries start with the point's number";
    EXPECT_EQ(macs.find("(G)"), std::string::npos) << "tiny models' MACs are not shown in G";
    EXPECT_GE(std::count(html.begin(), html.end(), '<'), 100);
    EXPECT_NE(html.find("<svg"), std::string::npos);
  } else {
    EXPECT_NE(html.find("gnuplot was not found"), std::string::npos);
  }
}

TEST(Plots, CountUnitsKeepTheLargestValueAtOrAboveOne) {
  EXPECT_EQ(count_unit(2.8e6, true).suffix, "M");
  EXPECT_EQ(count_unit(2.8e6, true).scale, 1e6);
  EXPECT_EQ(count_unit(3.9e9, true).suffix, "G");   // MACs: giga
  EXPECT_EQ(count_unit(3.9e9, false).suffix, "B");  // parameters: billions
  EXPECT_EQ(count_unit(2.5e12, false).suffix, "T");
  EXPECT_EQ(count_unit(64000, false).suffix, "K");
  EXPECT_EQ(count_unit(500, true).suffix, "");
  EXPECT_EQ(count_unit(500, true).scale, 1);
}

}  // namespace
// Terminal tables align columns by the columns characters take: CJK and emoji 2, a combining mark
// 0. Every row's second column starts at the same terminal column.
TEST(TextTables, PlainTablesAlignWideAndCombiningCharacters) {
  TextTable t;
  t.header = {"variant", "acc"};
  t.right = {false, true};
  t.rows = {{"注意機構", "0.91"}, {"caf\x65\xcc\x81", "0.90"}, {"🙂 mixer", "0.89"}, {"plain", "0.88"}};
  std::istringstream lines(render_plain(t));
  std::set<size_t> starts;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("---", 0) == 0) continue;
    const size_t last = line.find_last_of(' ');
    ASSERT_NE(last, std::string::npos) << line;
    starts.insert(terminal_columns(line.substr(0, last + 1)) + terminal_columns(line.substr(last + 1)));
  }
  EXPECT_EQ(starts.size(), 1u) << "rows end at different terminal columns:\n" << render_plain(t);
}

}  // namespace ms::test
