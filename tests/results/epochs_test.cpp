// Learning curves and the SQL views: `results --epochs` rows and grouped curves in every format,
// checked against the fixture's known epochs (results_fixture.h: test_acc at epoch e is
// final * (0.6 + 0.2 (e - 1))); the job_results / epoch_results views; and the four queries of
// docs/analysis.md run as written against a real database.
#include "results/reports/epochs.h"

#include <cmath>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "results/store/sqlite_db.h"
#include "tests/results/csv_reader.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

class Epochs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fill_tiny_db(dir_->file("r.db"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    store_ = std::make_unique<ResultStore>(dir_->file("r.db"), OpenMode::ReadOnly);
    ResultQuery q;
    q.sweep = "tiny";
    jobs_ = select_jobs(*store_, q);
    rows_ = select_epochs(*store_, jobs_);
  }
  static TempDir* dir_;
  std::unique_ptr<ResultStore> store_;
  std::vector<JobRow> jobs_;
  std::vector<EpochRow> rows_;
};

TempDir* Epochs::dir_ = nullptr;

// 4 variants x 3 seeds x 3 epochs, layernorm 3 + 3 + 1 (diverged), batchnorm 0 (failed) + 3 + 1 (running).
constexpr size_t kEpochRows = 36 + 7 + 4;

TEST_F(Epochs, OneRowPerJobAndEpochInEveryFormat) {
  ASSERT_EQ(rows_.size(), kEpochRows);
  const auto json = nlohmann::json::parse(format_epochs(jobs_, rows_, OutputFormat::Json));
  ASSERT_EQ(json.size(), kEpochRows);
  EXPECT_EQ(json[0]["variant"], "baseline");
  EXPECT_EQ(json[0]["seed"], 0);
  EXPECT_EQ(json[0]["epoch"], 1);
  EXPECT_NEAR(json[0]["test_acc"].get<double>(), 0.80 * 0.6, 1e-12);
  EXPECT_NEAR(json[1]["train_loss"].get<double>(), 1.1 - 0.80 * 0.8, 1e-12);
  EXPECT_TRUE(json[0]["test_seq_acc"].is_null());  // an image task has no sequence accuracy
  for (const char* field : {"id", "sweep", "section", "status", "test_loss", "lr", "samples_per_s", "wall_s"})
    EXPECT_TRUE(json[0].contains(field)) << field;

  const auto csv = parse_csv(format_epochs(jobs_, rows_, OutputFormat::Csv));
  ASSERT_EQ(csv.size(), kEpochRows + 1);
  for (const auto& row : csv) {
    EXPECT_EQ(row.size(), csv[0].size());
  }
  const auto acc = std::find(csv[0].begin(), csv[0].end(), "test_acc") - csv[0].begin();
  EXPECT_NEAR(std::stod(csv[3][acc]), 0.80, 1e-12);  // baseline seed 0 epoch 3

  const std::string table = format_epochs(jobs_, rows_, OutputFormat::Table);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), static_cast<long>(kEpochRows + 2));  // header, rule
  const std::string md = format_epochs(jobs_, rows_, OutputFormat::Markdown, "test_acc");
  EXPECT_NE(md.find("| \\[P,P,A,A\\]"), std::string::npos) << md;  // a label is literal: [ ] escaped
  EXPECT_EQ(md.find("train\\_loss"), std::string::npos);           // --metric keeps one metric column
  const std::string tex = format_epochs(jobs_, rows_, OutputFormat::Latex);
  for (const char* rule : {"\\toprule", "\\midrule", "\\bottomrule"}) {
    EXPECT_NE(tex.find(rule), std::string::npos);
  }
  EXPECT_NE(tex.find("model.mixers=identity"), std::string::npos);
  EXPECT_NE(tex.find("test\\_acc"), std::string::npos);  // headers escaped for LaTeX
}

TEST_F(Epochs, CurvesAverageTheSeedsThatReachedEachEpoch) {
  const auto points = group_epochs(jobs_, rows_, {"section", "variant"});
  ASSERT_EQ(points.size(), 18u);  // 6 variants x 3 epochs
  std::map<std::pair<std::string, int64_t>, const CurvePoint*> at;
  for (const auto& p : points) at[{p.values[1], p.epoch}] = &p;
  // Baseline epoch 2: 0.8 * (0.80, 0.82, 0.84) = 0.640, 0.656, 0.672 -> mean 0.656, std 0.016.
  const Summary& b2 = at.at({"baseline", 2})->metrics.at("test_acc");
  EXPECT_EQ(b2.n, 3);
  EXPECT_NEAR(b2.mean, 0.656, 1e-12);
  EXPECT_NEAR(b2.std, 0.016, 1e-12);
  EXPECT_NEAR(at.at({"baseline", 2})->metrics.at("test_loss").mean, 1 - 0.656, 1e-12);
  // Layernorm epoch 1: seeds 0, 1 (0.486, 0.498) and the diverged seed 2's only epoch (0.30).
  const CurvePoint& l1 = *at.at({"model.norm=layernorm", 1});
  EXPECT_EQ(l1.jobs, 3);
  EXPECT_NEAR(l1.metrics.at("test_acc").mean, (0.486 + 0.498 + 0.30) / 3, 1e-12);
  EXPECT_NEAR(l1.metrics.at("test_acc").min, 0.30, 1e-12);
  EXPECT_EQ(at.at({"model.norm=layernorm", 2})->jobs, 2);
  EXPECT_EQ(at.at({"model.norm=batchnorm", 1})->jobs, 2);  // done seed 1 and running seed 2
  EXPECT_EQ(at.at({"model.norm=batchnorm", 3})->jobs, 1);
  EXPECT_FALSE(at.at({"baseline", 1})->metrics.count("test_seq_acc"));

  const auto json = nlohmann::json::parse(format_curves(points, OutputFormat::Json));
  ASSERT_EQ(json.size(), 18u);
  EXPECT_EQ(json[1]["variant"], "baseline");
  EXPECT_EQ(json[1]["epoch"], 2);
  EXPECT_NEAR(json[1]["mean"]["test_acc"].get<double>(), 0.656, 1e-12);
  EXPECT_NEAR(json[1]["test_acc"].get<double>(), 0.656, 1e-12);
  EXPECT_EQ(json[1]["n"]["test_acc"], 3);
  const auto csv = parse_csv(format_curves(points, OutputFormat::Csv));
  ASSERT_EQ(csv.size(), 19u);
  for (const auto& row : csv) {
    EXPECT_EQ(row.size(), csv[0].size());
  }
  const auto mean = std::find(csv[0].begin(), csv[0].end(), "test_acc_mean") - csv[0].begin();
  EXPECT_NEAR(std::stod(csv[2][mean]), 0.656, 1e-12);
  const std::string md = format_curves(points, OutputFormat::Markdown);
  EXPECT_NE(md.find("0.6560 ± 0.0160"), std::string::npos) << md;
  const std::string tex = format_curves(points, OutputFormat::Latex);
  EXPECT_NE(tex.find("0.6560 $\\pm$ 0.0160"), std::string::npos) << tex;
  const std::string table = format_curves(points, OutputFormat::Table, "train_loss");
  EXPECT_NE(table.find("train_loss (mean ± std)"), std::string::npos) << table;
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 20);
}

// Runs every statement of the text; returns the rows of the last one as text (NULL: "NULL").
std::vector<std::vector<std::string>> query(const Database& db, const std::string& sql) {
  Statement s(db, sql);
  std::vector<std::vector<std::string>> rows;
  while (s.step()) {
    std::vector<std::string> row;
    for (int c = 0; c < s.column_count(); ++c) row.push_back(s.is_null(c) ? "NULL" : s.column_text(c));
    rows.push_back(std::move(row));
  }
  return rows;
}

// A NaN loss (a diverged evaluation; SQLite stores NaN as NULL) is missing, never 0, the best
// loss there is: JSON null, an empty CSV cell, out of the grouped means, no point on a curve.
// And a job's throughput is its examples over its training time (the harmonic mean of equal
// epochs' rates), not the plain mean of the rates.
TEST(EpochValues, NanLossIsMissingAndThroughputIsExamplesOverTime) {
  TempDir dir;
  const std::vector<Job> jobs = tiny_jobs();
  {
    ResultStore store(dir.file("n.db"), OpenMode::Writer);
    store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
    const double rates[3] = {2121.9, 8942.3, 7967.9};
    for (size_t i = 0; i < 2; ++i) {
      store.job_started(jobs[i].id, "host");
      for (int64_t e = 1; e <= 3; ++e) {
        EpochMetrics m = tiny_epoch(0.8, e, jobs[i].seed);
        m.samples_per_s = rates[e - 1];
        if (i == 1 && e == 1) m.test_loss = std::nan("");
        store.record_epoch(jobs[i].id, m);
      }
      store.job_finished(jobs[i].id, JobStatus::Done, "", 3.0);
    }
  }
  const ResultStore store(dir.file("n.db"), OpenMode::ReadOnly);
  ResultQuery q;
  q.sweep = "tiny";
  const std::vector<JobRow> rows = select_jobs(store, q);
  ASSERT_GE(rows.size(), 2u);
  ASSERT_TRUE(rows[0].samples_per_s.has_value());
  EXPECT_NEAR(*rows[0].samples_per_s, 3.0 / (1 / 2121.9 + 1 / 8942.3 + 1 / 7967.9), 1e-6);  // 4234, not 6344
  std::vector<JobRow> two(rows.begin(), rows.begin() + 2);
  const std::vector<EpochRow> epochs = select_epochs(store, two);
  const auto json = nlohmann::json::parse(format_epochs(two, epochs, OutputFormat::Json));
  ASSERT_EQ(json.size(), 6u);
  EXPECT_TRUE(json[3]["test_loss"].is_null()) << json[3].dump();
  EXPECT_NEAR(json[0]["test_loss"].get<double>(), 1.0 - 0.8 * 0.6, 1e-12);
  const auto csv = parse_csv(format_epochs(two, epochs, OutputFormat::Csv));
  ASSERT_EQ(csv.size(), 7u);
  const auto column = std::find(csv[0].begin(), csv[0].end(), "test_loss") - csv[0].begin();
  EXPECT_EQ(csv[4][static_cast<size_t>(column)], "");
  const auto curves = group_epochs(two, epochs, {"variant"});
  ASSERT_EQ(curves.size(), 3u);
  EXPECT_EQ(curves[0].metrics.at("test_loss").n, 1);  // seed 1's NaN left out
  EXPECT_NEAR(curves[0].metrics.at("test_loss").mean, 1.0 - 0.8 * 0.6, 1e-12);
  EXPECT_EQ(curves[1].metrics.at("test_loss").n, 2);
}

TEST_F(Epochs, ViewsGiveJobsWithConfigColumnsAndEpochs) {
  Database db(dir_->file("r.db"), Database::Access::ReadOnly);
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM job_results WHERE sweep = 'tiny'")[0][0], "18");
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM epoch_results WHERE sweep = 'tiny'")[0][0], std::to_string(kEpochRows));
  const auto norms = query(db,
                           "SELECT variant, \"model.norm\", \"model.pool_size\", seed, status FROM job_results "
                           "WHERE sweep = 'tiny' ORDER BY position");
  ASSERT_EQ(norms.size(), 18u);
  EXPECT_EQ(norms[0], (std::vector<std::string>{"baseline", "group1", "3", "0", "done"}));
  EXPECT_EQ(norms[12][1], "layernorm");
  EXPECT_EQ(norms[14][4], "diverged");
  const auto mixers = query(db, "SELECT DISTINCT \"model.mixers\" FROM job_results WHERE variant = '[P,P,A,A]'");
  ASSERT_EQ(mixers.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(mixers[0][0]), nlohmann::json({"pool", "pool", "attention", "attention"}));
  // Every config key of every job is a column, and its value is the job's own.
  const auto lr = query(db, "SELECT DISTINCT \"task.optimizer.lr\" FROM job_results");
  ASSERT_EQ(lr.size(), 1u);
  EXPECT_DOUBLE_EQ(std::stod(lr[0][0]), 1e-3);
  const auto ep = query(db,
                        "SELECT epoch, test_acc, status FROM epoch_results WHERE variant = 'model.norm=layernorm' "
                        "AND seed = 2");
  ASSERT_EQ(ep.size(), 1u);
  EXPECT_EQ(ep[0][0], "1");
  EXPECT_NEAR(std::stod(ep[0][1]), 0.30, 1e-12);
  EXPECT_EQ(ep[0][2], "diverged");
}

TEST_F(Epochs, ViewsAreRecreatedWhenTheirDefinitionChanged) {
  TempDir dir;
  fill_tiny_db(dir.file("old.db"));
  {
    Database db(dir.file("old.db"), Database::Access::ReadWrite);
    db.exec("DROP VIEW job_results; CREATE VIEW job_results AS SELECT 1 AS stale");
  }
  { ResultStore writer(dir.file("old.db"), OpenMode::Writer); }  // a run opens it
  Database db(dir.file("old.db"), Database::Access::ReadOnly);
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM job_results")[0][0], "18");
}

// The ```sql blocks of docs/analysis.md, as a user would paste them (sweep 'demo' -> 'tiny').
std::vector<std::string> documented_queries() {
  std::ifstream in(source_dir() + "/docs/analysis.md");
  EXPECT_TRUE(in) << "docs/analysis.md";
  std::vector<std::string> blocks;
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```sql") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(std::regex_replace(block, std::regex("'demo'"), "'tiny'"));
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

TEST_F(Epochs, TheFourDocumentedQueriesRunAndAnswerRight) {
  const auto sql = documented_queries();
  ASSERT_EQ(sql.size(), 4u);
  Database db(dir_->file("r.db"), Database::Access::ReadOnly);

  const auto table = query(db, sql[0]);  // final accuracy per variant, done seeds
  ASSERT_EQ(table.size(), 6u);
  EXPECT_EQ(table[0], (std::vector<std::string>{"baseline", "baseline", "3", "82.0", "80.0", "84.0"}));
  EXPECT_EQ(table[1][1], "model.mixers=identity");
  EXPECT_EQ(table[4], (std::vector<std::string>{"normalization", "model.norm=layernorm", "2", "82.0", "81.0", "83.0"}));
  EXPECT_EQ(table[5][2], "1");  // batchnorm: one done seed

  const auto curves = query(db, sql[1]);  // per variant and epoch
  ASSERT_EQ(curves.size(), 18u);
  EXPECT_EQ(curves[1][1], "baseline");
  EXPECT_EQ(curves[1][2], "2");
  EXPECT_EQ(curves[1][3], "3");
  EXPECT_NEAR(std::stod(curves[1][4]), 0.656, 1e-12);
  EXPECT_EQ(curves[12][1], "model.norm=layernorm");
  EXPECT_EQ(curves[12][3], "3");  // the diverged seed's first epoch counts
  EXPECT_NEAR(std::stod(curves[12][5]), 0.30, 1e-12);

  const auto factor = query(db, sql[2]);  // by config columns
  std::map<std::pair<std::string, std::string>, std::pair<int, double>> by;
  for (const auto& r : factor) by[{nlohmann::json::parse(r[0]).dump(), r[1]}] = {std::stoi(r[2]), std::stod(r[3])};
  ASSERT_EQ(by.size(), 6u) << "one row per (mixers, norm)";
  const std::string pool = nlohmann::json({"pool", "pool", "pool", "pool"}).dump();
  EXPECT_EQ(by.at({pool, "group1"}).first, 3);
  EXPECT_NEAR(by.at({pool, "group1"}).second, 0.82, 1e-12);
  EXPECT_NEAR(by.at({pool, "layernorm"}).second, 0.82, 1e-12);
  EXPECT_NEAR(by.at({nlohmann::json({"identity", "identity", "identity", "identity"}).dump(), "group1"}).second, 0.72,
              1e-12);
  EXPECT_NEAR(std::stod(factor[0][3]), 0.87, 1e-12);  // best first

  const auto cost = query(db, sql[3]);  // attempts and rank time per variant: one attempt per job here
  ASSERT_EQ(cost.size(), 6u);
  EXPECT_EQ((std::vector<std::string>{cost[0][0], cost[0][1], cost[0][2], cost[0][3]}),
            (std::vector<std::string>{"baseline", "baseline", "3", "0"}));
  EXPECT_EQ((std::vector<std::string>{cost[5][1], cost[5][2], cost[5][3]}),
            (std::vector<std::string>{"model.norm=batchnorm", "3", "2"}))  // one failed, one still running
      << "batchnorm";
  for (const auto& row : cost) EXPECT_GE(std::stod(row[4]), 0.0) << row[1];
}

TEST_F(Epochs, CliEpochsFlagThroughTheBinary) {
  auto ms = [&](const std::vector<std::string>& args) {
    std::string line = shell_quote(metasweep_bin()) + " results --db " + shell_quote(dir_->file("r.db"));
    for (const auto& a : args) line += " " + shell_quote(a);
    return std::async(std::launch::async, [line] { return run_command(line); });
  };
  auto jobs = ms({"--sweep", "tiny", "--epochs", "--format", "json"});
  auto curves = ms({"--sweep", "tiny", "--epochs", "--group-by", "--format", "csv", "--where", "variant=baseline"});
  auto bad = ms({"--epochs", "--metric", "params"});
  const CommandResult j = jobs.get(), c = curves.get(), b = bad.get();
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(nlohmann::json::parse(j.out).size(), kEpochRows);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto csv = parse_csv(c.out);
  ASSERT_EQ(csv.size(), 4u) << c.out;  // header + baseline's 3 epochs
  EXPECT_EQ(csv[0][0], "section");
  EXPECT_EQ(csv[2][2], "2");
  EXPECT_EQ(b.exit_code, 2) << b.err;  // params is not an epoch metric
  EXPECT_NE(b.err.find("expected one of train_loss"), std::string::npos) << b.err;
}

}  // namespace
}  // namespace ms::test
