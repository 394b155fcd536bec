// Every output format parses: CSV with a small RFC 4180 reader, JSON with nlohmann::json,
// LaTeX has booktabs rules, markdown has one row per job; plus the report files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "csv_reader.h"
#include "ablation.h"
#include "format.h"
#include "plots.h"
#include "report.h"
#include "results_fixture.h"
#include "test_support.h"

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
  for (const auto& row : csv) EXPECT_EQ(row.size(), csv[0].size());
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
  const auto groups = nlohmann::json::parse(format_groups(group_jobs(rows_, {"section", "variant"}), OutputFormat::Json));
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
  for (const char* rule : {"\\toprule", "\\midrule", "\\bottomrule"}) EXPECT_NE(tex.find(rule), std::string::npos);
  EXPECT_NE(tex.find("$\\pm$"), std::string::npos);
  EXPECT_NE(tex.find("model.mixers=identity"), std::string::npos);
}

TEST_F(Formats, AblationTableAgainstHandValues) {
  const AblationTable t = build_ablation(*store_, "tiny");
  ASSERT_EQ(t.rows.size(), 6u);
  EXPECT_EQ(t.section_starts, (std::vector<size_t>{0, 1, 3, 4}));
  EXPECT_NEAR(*t.rows[1].delta_pts, -10.0, 1e-9);   // identity 72.00 vs 82.00
  ASSERT_TRUE(t.rows[1].test);
  EXPECT_TRUE(t.rows[1].test->paired);              // same seeds 0, 1, 2
  EXPECT_TRUE(t.rows[2].best);                      // attention beats identity
  EXPECT_FALSE(t.rows[1].best);
  EXPECT_FALSE(t.rows[4].test && t.rows[4].test->paired);  // layernorm: seeds 0, 1 only -> Welch
  // Reference ordering: baseline 77.2, identity 74.3, attention 76.0, PPAA 78.0 vs ours
  // 82, 72, 87, 87 -> ranks (2,1,3,4) vs (2,1,3.5,3.5): rho = 0.9487 (ties averaged).
  ASSERT_TRUE(t.spearman);
  EXPECT_EQ(t.reference_n, 4);
  EXPECT_NEAR(*t.spearman, 3 / std::sqrt(22.5), 1e-12);
  const std::string md = ablation_markdown(t);
  EXPECT_NE(md.find("**87.00 ± 2.65 (3)**"), std::string::npos) << md;
  EXPECT_NE(md.find("ImageNet top-1 (%)"), std::string::npos);
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
    EXPECT_EQ(files.plots.size(), 3u * 2 + 1 + 2);  // baseline curves, 3 x (curves + bars), 2 scatters
    EXPECT_GE(std::count(html.begin(), html.end(), '<') , 100);
    EXPECT_NE(html.find("<svg"), std::string::npos);
  } else {
    EXPECT_NE(html.find("gnuplot was not found"), std::string::npos);
  }
}

}  // namespace
}  // namespace ms::test
