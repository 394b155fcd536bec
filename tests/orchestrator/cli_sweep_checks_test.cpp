// Sweep-file checks through the real binary (QA pass on sweep files): a pool model whose heads
// do not divide its width plans and runs; exclusions that would empty the sweep are refused by
// `plan` and `run` with one FILE:LINE:COL line and exit status 2, leaving the database as it was;
// a variant equal to the baseline is said on stderr; --max-jobs names the whole count.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace ms::test {
namespace {

// One tiny synthetic-images job (one epoch, 32 examples), one stage of width 8 and 3 heads.
std::string tiny_heads_sweep(const std::string& extra) {
  return "name: heads\n"
         "base:\n"
         "  task: {dataset: synthetic-images, image_size: 8, train_size: 32, test_size: 16, epochs: 1, "
         "batch_size: 16}\n"
         "  model: {heads: 3, dims: [8], depths: [1], mixers: pool, stem: {kernel: 3, stride: 2, padding: 1}}\n"
         "seeds: [0]\n" +
         extra;
}

size_t newline_count(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(CliSweepChecks, PoolWithHeadsNotDividingDimPlansAndRuns) {
  TempDir dir;
  const std::string sweep = dir.write("heads.yaml", tiny_heads_sweep(""));
  const CommandResult plan = run_metasweep("plan " + shell_quote(sweep));
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_EQ(plan.out.find("will fail"), std::string::npos) << plan.out;
  const CommandResult run = run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(dir.file("r.db")));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("1 done, 0 diverged, 0 failed"), std::string::npos) << run.out;
}

TEST(CliSweepChecks, ExclusionsThatEmptyTheSweepAreRefusedAndTheDatabaseKept) {
  TempDir dir;
  const std::string db = dir.file("r.db");
  const std::string sweep = dir.write("heads.yaml", tiny_heads_sweep(""));
  ASSERT_EQ(run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db)).exit_code, 0);

  // The same sweep name, now excluding its only job (line 7 of the file).
  dir.write("heads.yaml", tiny_heads_sweep("exclude:\n  - {model.norm: group1}\n"));
  for (const std::string& command :
       {"plan " + shell_quote(sweep), "run " + shell_quote(sweep) + " --db " + shell_quote(db)}) {
    const CommandResult r = run_metasweep(command);
    EXPECT_EQ(r.exit_code, 2) << command << "\n" << r.out << r.err;
    EXPECT_EQ(newline_count(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(sweep + ":7:5: error: this exclude entry removes every job of the sweep"), std::string::npos)
        << r.err;
  }
  const CommandResult results = run_metasweep("results --db " + shell_quote(db) + " --sweep heads --format json");
  ASSERT_EQ(results.exit_code, 0) << results.err;
  const nlohmann::json jobs = nlohmann::json::parse(results.out, nullptr, false);
  ASSERT_EQ(jobs.size(), 1u) << results.out;  // the sweep keeps its one job
  EXPECT_EQ(jobs[0]["status"], "done");
}

TEST(CliSweepChecks, VariantEqualToTheBaselineIsSaidOnStderr) {
  TempDir dir;
  const std::string sweep =
      dir.write("fold.yaml", tiny_heads_sweep("ablations:\n  pool size:\n    model.pool_size: [3, 5]\n"));
  const CommandResult plan = run_metasweep("plan " + shell_quote(sweep));
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.err.find("metasweep plan: " + sweep +
                          ":8:23: warning: variant 'model.pool_size=3' of section 'pool size' is the same job as "
                          "the baseline; it is listed once, there"),
            std::string::npos)
      << plan.err;
}

TEST(CliSweepChecks, MaxJobsNamesTheWholeCount) {
  TempDir dir;
  const std::string sweep =
      dir.write("tiny.yaml",
                "name: tiny\nseeds: [0, 1]\nablations:\n  a:\n    model.pool_size: [5, 7]\n  b:\n    model.norm: "
                "[none]\n");
  const CommandResult three = run_metasweep("plan " + shell_quote(sweep) + " --max-jobs 3");
  EXPECT_EQ(three.exit_code, 2);
  EXPECT_NE(three.err.find("expands to 8 jobs (4 variants x 1 grid/zip cells x 2 seeds)"), std::string::npos)
      << three.err;
  EXPECT_NE(three.err.find("pass --max-jobs 8"), std::string::npos) << three.err;
  EXPECT_EQ(run_metasweep("plan " + shell_quote(sweep) + " --max-jobs 8").exit_code, 0);
}

}  // namespace
}  // namespace ms::test
