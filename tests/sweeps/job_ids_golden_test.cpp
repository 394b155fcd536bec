// Job ids survive upgrades (DESIGN.md §4): the id of every job of every sweep shipped under
// sweeps/ is recorded in tests/data/job_ids.tsv and compared on every run, so a change that
// would orphan users' databases and checkpoints (a new key in the hash, a changed default, a
// different canonical form) fails here. A deliberate change of what an unchanged config trains
// regenerates the file (METASWEEP_UPDATE_GOLDEN=1) and says so in its commit. Also: a key added
// later (KeySpec::since >= 1) leaves ids unchanged while at its default.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "sweeps/config_schema.h"
#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"
#include "tests/sweeps/test_catalog.h"
#include "tests/test_support.h"

namespace ms {
namespace {

namespace fs = std::filesystem;

// "file\tsection\tvariant\tseed" -> id, for every sweep file under sweeps/, in path order.
std::vector<std::pair<std::string, std::string>> current_ids() {
  const fs::path root = fs::path(test::source_dir()) / "sweeps";
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(fs::relative(e.path(), root).string());
  std::sort(files.begin(), files.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : files) {
    const auto spec = load_sweep_file((root / f).string(), test::test_catalog());
    for (const auto& job : expand_sweep(spec, test::test_catalog()))
      out.emplace_back(f + "\t" + job.section + "\t" + job.variant + "\t" + std::to_string(job.seed), job.id);
  }
  return out;
}

TEST(JobIds, EveryShippedSweepKeepsItsIds) {
  const std::string golden = test::source_dir() + "/tests/data/job_ids.tsv";
  const auto ids = current_ids();
  ASSERT_GT(ids.size(), 100u);
  if (const char* update = std::getenv("METASWEEP_UPDATE_GOLDEN"); update && std::string(update) == "1") {
    std::ofstream out(golden);
    out << "# file\tsection\tvariant\tseed\tid  (tests/sweeps/job_ids_golden_test.cpp)\n";
    for (const auto& [key, id] : ids) out << key << "\t" << id << "\n";
    GTEST_SKIP() << "wrote " << golden;
  }
  std::ifstream in(golden);
  ASSERT_TRUE(in.good()) << golden << " is missing: run with METASWEEP_UPDATE_GOLDEN=1 once";
  std::map<std::string, std::string> recorded;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.rfind('\t');
    recorded[line.substr(0, tab)] = line.substr(tab + 1);
  }
  size_t compared = 0;
  for (const auto& [key, id] : ids) {
    auto it = recorded.find(key);
    if (it == recorded.end()) continue;  // a job added since: new ids are fine
    ++compared;
    EXPECT_EQ(id, it->second) << key << ": its id changed, so databases and checkpoints of this job would be "
                              << "orphaned. If you edited that sweep file (a new experiment) or the training of an "
                              << "unchanged config really changed, regenerate tests/data/job_ids.tsv with "
                              << "METASWEEP_UPDATE_GOLDEN=1 and say so in the commit.";
  }
  EXPECT_GT(compared, 100u);
}

TEST(JobIds, AKeyAddedLaterChangesNoIdWhileAtItsDefault) {
  const nlohmann::json config = {{"model", {{"arch", "sequence"}, {"dims", {16}}}}, {"task", {{"epochs", 2}}}};
  std::vector<KeySpec> schema = config_schema();
  const std::string before = canonical_text(config, 0, schema);
  schema.push_back({"model.new_knob", ValueKind::Float, 0.5, {}, 0, 1, "a key of a later release", 1});
  schema.push_back({"extra.flag", ValueKind::Bool, false, {}, 0, 0, "a key in a new group", 1});
  nlohmann::json upgraded = config;
  upgraded["model"]["new_knob"] = 0.5;  // resolved at its default by the newer release
  upgraded["extra"]["flag"] = false;
  EXPECT_EQ(canonical_text(upgraded, 0, schema), before);
  upgraded["model"]["new_knob"] = 0.25;  // a sweep that uses the new key is a new experiment
  EXPECT_NE(canonical_text(upgraded, 0, schema), before);
  // A key of the first release (since 0) is always hashed, at its default too.
  nlohmann::json with_epochs_default = config;
  with_epochs_default["task"]["epochs"] = 5;
  EXPECT_NE(canonical_text(with_epochs_default, 0, schema), before);
}

TEST(JobIds, ModelInitIsALaterKeyThatKeepsOldIds) {
  const KeySpec* init = find_key_spec("model.init");
  ASSERT_NE(init, nullptr);
  EXPECT_GE(init->since, 1);
  EXPECT_EQ(init->default_value, "trunc_normal");  // what every model trained before it existed used
  const auto spec = load_sweep_file(test::source_dir() + "/sweeps/demo.yaml", test::test_catalog());
  const Job job = expand_sweep(spec, test::test_catalog()).front();
  ASSERT_EQ(job.config.at("model").at("init"), "trunc_normal");
  nlohmann::json before = job.config;  // as a release without model.init resolved it
  before["model"].erase("init");
  EXPECT_EQ(job_id(before, job.seed), job.id);
  nlohmann::json other = job.config;
  other["model"]["init"] = "pytorch";
  EXPECT_NE(job_id(other, job.seed), job.id);
}

}  // namespace
}  // namespace ms
