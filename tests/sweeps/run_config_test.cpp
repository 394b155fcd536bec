// The typed config (run_config.h) against the resolved JSON it is read from: every job of every
// sweep shipped under sweeps/ reads without error and field for field as its JSON says; a key a
// later release added takes the schema's default when an older stored config lacks it; a
// first-release key that is missing, or a value of the wrong type, is an error naming the key.
#include "sweeps/run_config.h"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "sweeps/config_schema.h"
#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"
#include "tests/sweeps/test_catalog.h"
#include "tests/test_support.h"

namespace ms {
namespace {

namespace fs = std::filesystem;

std::vector<Job> shipped_jobs() {
  std::vector<Job> all;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(test::source_dir()) / "sweeps")) {
    if (!e.is_regular_file() || e.path().extension() != ".yaml") continue;
    const auto spec = load_sweep_file(e.path().string(), test::test_catalog());
    for (auto& job : expand_sweep(spec, test::test_catalog())) all.push_back(std::move(job));
  }
  return all;
}

TEST(RunConfig, EveryShippedJobReadsFieldForField) {
  const auto jobs = shipped_jobs();
  ASSERT_GT(jobs.size(), 100u);
  for (const Job& job : jobs) {
    SCOPED_TRACE(job.sweep + " / " + job.variant);
    const RunConfig r = run_config(job.config);
    const auto& t = job.config.at("task");
    const auto& m = job.config.at("model");
    EXPECT_EQ(r.task.dataset, t.at("dataset"));
    EXPECT_EQ(r.task.epochs, t.at("epochs"));
    EXPECT_EQ(r.task.batch_size, t.at("batch_size"));
    EXPECT_EQ(r.task.optimizer.name, t.at("optimizer").at("name"));
    EXPECT_EQ(r.task.optimizer.weight_decay, t.at("optimizer").at("weight_decay"));
    EXPECT_EQ(r.task.label_smoothing, t.at("label_smoothing"));
    EXPECT_EQ(r.task.schedule.warmup_epochs, t.at("schedule").at("warmup_epochs"));
    EXPECT_EQ(r.model.dims, m.at("dims").get<std::vector<int64_t>>());
    EXPECT_EQ(r.model.mixers, m.at("mixers").get<std::vector<std::string>>());
    EXPECT_EQ(r.model.heads, m.at("heads").get<std::vector<int64_t>>());
    EXPECT_EQ(r.model.drop_path, m.at("drop_path"));
    EXPECT_EQ(r.model.stem.kernel, m.at("stem").at("kernel"));
    EXPECT_EQ(r.model.init, m.at("init"));
    EXPECT_GT(r.task.epochs, 0);
    EXPECT_GT(r.task.batch_size, 0);
  }
}

TEST(RunConfig, OnlyKeysAddedLaterMayBeMissing) {
  const Job job = shipped_jobs().front();
  nlohmann::json older = job.config;
  older["model"].erase("init");  // stored before model.init existed
  const KeySpec* init = find_key_spec("model.init");
  ASSERT_NE(init, nullptr);
  EXPECT_EQ(run_config(older).model.init, init->default_value);

  nlohmann::json broken = job.config;
  broken["task"].erase("epochs");  // a first-release key: no silent fallback (the old worker used 1, the schema 5)
  try {
    run_config(broken);
    ADD_FAILURE() << "a config without task.epochs was read";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("task.epochs"), std::string::npos) << e.what();
  }
  nlohmann::json wrong = job.config;
  wrong["task"]["optimizer"]["lr"] = "fast";
  EXPECT_THROW(run_config(wrong), std::invalid_argument);
}

}  // namespace
}  // namespace ms
