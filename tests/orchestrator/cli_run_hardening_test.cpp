// `metasweep run` through the real binary on the cases of issue 13 that need training:
//   6. a variant too large to allocate: `plan` lists it with its exact params/MACs and the reason,
//      `run` records it `failed` with one line and trains the others; no `frame #` ever shows;
//   2. the sweep file edited and run again under the same name: `run` says what changed, the
//      tables show exactly the jobs of the new definition, the removed jobs stay findable by id.
// Each run trains one tiny synthetic-images job for one epoch (well under a second of compute).
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace ms::test {
namespace {

std::string sweep_text(int train_size) {
  return "name: edits\n"
         "base:\n"
         "  task: {dataset: synthetic-images, image_size: 8, train_size: " +
         std::to_string(train_size) +
         ", test_size: 16, epochs: 1, batch_size: 16}\n"
         "  model: {depths: [1, 1], dims: [8, 16], stem: {kernel: 3, stride: 2, padding: 1}}\n"
         "seeds: [0]\n"
         "ablations:\n"
         "  width:\n"
         "    - {label: huge, model.dims: [100000, 100000]}\n";
}

nlohmann::json results_json(const std::string& db, const std::string& extra = "--sweep edits") {
  const CommandResult r = run_metasweep("results --db " + shell_quote(db) + " " + extra + " --format json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

TEST(CliRunHardening, TooLargeVariantFailsAloneAndAnEditedSweepShowsOnlyItsNewJobs) {
  TempDir dir;
  const std::string sweep = dir.write("edits.yaml", sweep_text(64));
  const std::string db = dir.file("r.db");

  const CommandResult plan = run_metasweep("plan " + shell_quote(sweep));
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("model too large to build"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("frame #"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.err.find("frame #"), std::string::npos) << plan.err;

  const CommandResult first = run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db));
  EXPECT_EQ(first.exit_code, 1) << first.err;  // one job failed
  EXPECT_EQ(first.err.find("frame #"), std::string::npos) << first.err;
  EXPECT_NE(first.out.find("1 done, 0 diverged, 1 failed"), std::string::npos) << first.out;
  const nlohmann::json before = results_json(db);
  ASSERT_EQ(before.size(), 2u) << before.dump();
  std::string old_baseline;
  for (const auto& job : before) {
    if (job["variant"] == "baseline") {
      EXPECT_EQ(job["status"], "done");
      old_baseline = job["id"];
    } else {
      EXPECT_EQ(job["status"], "failed");
      const std::string error = job["error"];
      EXPECT_NE(error.find("model too large to build"), std::string::npos) << error;
      EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    }
  }

  // The same name, a different experiment: every id changes.
  dir.write("edits.yaml", sweep_text(32));
  const CommandResult second = run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db));
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_NE(second.err.find("the definition changed since it was last registered: 2 job(s) added, 2 removed"),
            std::string::npos)
      << second.err;
  const nlohmann::json after = results_json(db);
  ASSERT_EQ(after.size(), 2u) << after.dump();
  for (const auto& job : after) {
    EXPECT_NE(job["id"], old_baseline);
    EXPECT_EQ(job["config"]["task"]["train_size"], 32);
  }
  const CommandResult table =
      run_metasweep("results --db " + shell_quote(db) + " --sweep edits --group-by section,variant --format json");
  const nlohmann::json groups = nlohmann::json::parse(table.out, nullptr, false);
  ASSERT_TRUE(groups.is_array()) << table.out;
  for (const auto& g : groups) EXPECT_EQ(g["jobs"], 1) << g.dump();  // never two experiments as two seeds

  const nlohmann::json old = results_json(db, "--where id=" + old_baseline);
  ASSERT_EQ(old.size(), 1u) << old.dump();
  EXPECT_EQ(old[0]["removed"], true);
  EXPECT_EQ(old[0]["status"], "done");
  EXPECT_EQ(old[0]["config"]["task"]["train_size"], 64);

  const CommandResult again =
      run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db));  // nothing changed
  EXPECT_EQ(again.err.find("definition changed"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace ms::test
