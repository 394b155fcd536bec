// Issue 14 item 1, the other side of stable job ids: results trained under different training
// semantics never mix silently. Every job records which metasweep and which training semantics
// (sweeps/version.h) trained it; a table with older jobs says so under it; `run` says how many
// there are and `run --retrain-older` trains them again; a version-2 database (before the marks
// existed) reads as "not recorded" and is upgraded in place by the next run.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "results/store/sqlite_db.h"
#include "sweeps/version.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

const char* kVersionsSweep =
    "name: versions\n"
    "base:\n"
    "  task: {dataset: synthetic-images, image_size: 8, train_size: 32, test_size: 16, epochs: 1, batch_size: 16}\n"
    "  model: {depths: [1, 1], dims: [8, 16], stem: {kernel: 3, stride: 2, padding: 1}}\n"
    "seeds: [0]\n"
    "ablations:\n"
    "  mixer:\n"
    "    - {label: identity, model.mixers: identity}\n";

nlohmann::json jobs_json(const std::string& db) {
  const CommandResult r = run_metasweep("results --db " + shell_quote(db) + " --sweep versions --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

std::string report_md(TempDir& dir, const std::string& db) {
  const std::string out = dir.file("report");
  const CommandResult r =
      run_metasweep("report --db " + shell_quote(db) + " --sweep versions --out " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(out + "/report.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CliVersions, OlderJobsAreMarkedKeptAndRetrainedOnRequest) {
  TempDir dir;
  const std::string sweep = dir.write("versions.yaml", kVersionsSweep);
  const std::string db = dir.file("v.db");
  ASSERT_EQ(run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db)).exit_code, 0);
  std::string baseline;
  for (const auto& job : jobs_json(db)) {
    EXPECT_EQ(job["trained_by"], kMetasweepVersion);
    EXPECT_EQ(job["semantics"], kTrainingSemantics);
    if (job["variant"] == "baseline") baseline = job["id"];
  }
  ASSERT_FALSE(baseline.empty());
  EXPECT_EQ(report_md(dir, db).find("Versions:"), std::string::npos);

  // The baseline as a release before the marks existed left it: schema 2, no columns.
  {
    Database raw(db, Database::Access::ReadWrite);
    raw.exec(
        std::string(kUndoSchemaV6) +
        "ALTER TABLE jobs DROP COLUMN trained_by; ALTER TABLE jobs DROP COLUMN semantics; ALTER "
        "TABLE jobs DROP COLUMN "
        "failures; "
        "ALTER TABLE sweep_jobs DROP COLUMN cell; ALTER TABLE removed_sweep_jobs DROP COLUMN cell; "
        "PRAGMA user_version = 2");
  }
  for (const auto& job : jobs_json(db)) {  // readers take an old database as it is
    EXPECT_TRUE(job["trained_by"].is_null());
    EXPECT_TRUE(job["semantics"].is_null());
  }
  // A run upgrades it; the new marks go only to jobs it trains (none: both are done).
  const CommandResult kept = run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db));
  EXPECT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_NE(kept.err.find("2 job(s) were trained by an older metasweep"), std::string::npos) << kept.err;
  EXPECT_NE(kept.err.find("--retrain-older"), std::string::npos) << kept.err;
  {
    Database raw(db, Database::Access::ReadWrite);
    raw.exec("UPDATE jobs SET trained_by = '" + std::string(kMetasweepVersion) +
             "', semantics = " + std::to_string(kTrainingSemantics) + " WHERE id != '" + baseline + "'");
  }
  const std::string mixed = report_md(dir, db);
  EXPECT_NE(mixed.find("Versions: 1 done job(s) trained by an older metasweep"), std::string::npos) << mixed;
  EXPECT_NE(mixed.find("1 as this one trains: the table mixes them"), std::string::npos) << mixed;

  const CommandResult retrain =
      run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db) + " --retrain-older");
  EXPECT_EQ(retrain.exit_code, 0) << retrain.err;
  EXPECT_NE(retrain.err.find("training 1 job(s) again"), std::string::npos) << retrain.err;
  for (const auto& job : jobs_json(db)) {
    EXPECT_EQ(job["status"], "done") << job.dump();
    EXPECT_EQ(job["semantics"], kTrainingSemantics) << job.dump();
    EXPECT_EQ(job["attempts"], 1) << job.dump();
  }
  EXPECT_EQ(report_md(dir, db).find("Versions:"), std::string::npos);
}

}  // namespace
}  // namespace ms::test
