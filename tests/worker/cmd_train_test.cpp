// `metasweep train` end to end (the real binary): job selection errors exit 2 with the
// available labels; a tiny job trains, prints its epochs and is recorded with --db; a second
// invocation with the same --checkpoint-dir resumes instead of starting over; --cuda-graphs on
// a CPU is a one-line note and trains as off.
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace ms {
namespace {

const char* kSweep = R"(name: train-cli
base:
  task: {dataset: synthetic-images, image_size: 8, channels: 1, num_classes: 4, train_size: 128, test_size: 32,
         epochs: 2, batch_size: 32}
  model: {arch: metaformer, depths: [1, 1], dims: [8, 16], head_dim: 8, drop_path: 0.0,
          stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1]
ablations:
  token mixer:
    - {model.mixers: identity}
)";

std::string train(const test::TempDir& dir, const std::string& flags) {
  return test::metasweep_bin() + " train " + dir.file("s.yaml") + " --device cpu --threads 1 " + flags;
}

TEST(CmdTrain, SelectionErrorsAreUsageErrors) {
  test::TempDir dir;
  dir.write("s.yaml", kSweep);
  auto r = test::run_command(train(dir, "--variant nope"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("available labels"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("model.mixers=identity"), std::string::npos) << r.err;
  r = test::run_command(train(dir, "--variant baseline --job abc"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = test::run_command(train(dir, "--job zzzz"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = test::run_command(train(dir, "--variant baseline --seed 9"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("(its seeds: 0, 1)"), std::string::npos) << r.err;
}

// Section "a" with label "b/c" and section "a/b" with label "c": "a/b/c" names both. The advice
// is each one's job id (a SECTION/LABEL spelling would be just as ambiguous), and it works.
TEST(CmdTrain, ASlashInsideNamesGetsJobIdsAsAdvice) {
  test::TempDir dir;
  std::string sweep = kSweep;
  sweep +=
      "  a:\n    - {label: b/c, model.mixers: pool, model.pool_size: 5}\n"
      "  a/b:\n    - {label: c, model.mixers: pool, model.pool_size: 7}\n";
  dir.write("s.yaml", sweep);
  const auto r = test::run_command(train(dir, "--variant a/b/c"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("names 2 variants"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("'a/b/c' (--job"), std::string::npos) << "a spelling that is ambiguous again: " << r.err;
  const std::string prefix = "section 'a/b' label 'c': --job ";
  const size_t at = r.err.find(prefix);
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string id = r.err.substr(at + prefix.size(), 16);
  const auto plan = test::run_command(test::metasweep_bin() + " plan " + dir.file("s.yaml"));
  bool listed = false;  // the id is the plan's job of section a/b
  std::istringstream lines(plan.out);
  for (std::string line; std::getline(lines, line);)
    listed = listed || (line.rfind("a/b ", 0) == 0 && line.find(id) != std::string::npos);
  EXPECT_TRUE(listed) << id << "\n" << plan.out;
}

TEST(CmdTrain, TrainsRecordsAndResumes) {
  test::TempDir dir;
  dir.write("s.yaml", kSweep);
  const std::string flags =
      "--variant baseline --seed 1 --db " + dir.file("r.db") + " --checkpoint-dir " + dir.file("ck");
  auto r = test::run_command(train(dir, flags));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("epoch 1/2  train_loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("epoch 2/2  train_loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" done: baseline, 2 epochs"), std::string::npos) << r.out;

  auto q = test::run_command(test::metasweep_bin() + " results --db " + dir.file("r.db") + " --format json");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("\"done\""), std::string::npos) << q.out;
  // Its params and MACs are recorded as `run` records them: plan's.
  auto p = test::run_command(test::metasweep_bin() + " plan " + dir.file("s.yaml") + " --format json");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  int64_t params = -1, macs = -1;
  for (const auto& j : nlohmann::json::parse(p.out))
    if (j.at("variant") == "baseline" && j.at("seed") == 1) params = j.at("params"), macs = j.at("macs");
  ASSERT_GT(params, 0);
  bool found = false;
  for (const auto& row : nlohmann::json::parse(q.out))
    if (row.at("status") == "done") {
      found = true;
      EXPECT_EQ(row.at("params"), params) << q.out;
      EXPECT_EQ(row.at("macs"), macs) << q.out;
    }
  EXPECT_TRUE(found) << q.out;

  r = test::run_command(train(dir, flags));  // everything is checkpointed: nothing left to train
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("resumed from the checkpoint of epoch 2"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("epoch 1/2"), std::string::npos) << r.out;
}

// The epoch lines without their timing columns.
std::string epoch_numbers(const std::string& out) {
  std::string kept;
  for (size_t at = out.find("epoch "); at != std::string::npos; at = out.find("epoch ", at + 1)) {
    const size_t end = out.find("  lr ", at);
    if (end == std::string::npos) break;
    kept += out.substr(at, end - at) + "\n";
  }
  return kept;
}

TEST(CmdTrain, CudaGraphsOnACpuIsANoteAndTrainsAsOff) {
  test::TempDir dir;
  dir.write("s.yaml", kSweep);
  const auto off = test::run_command(train(dir, "--variant baseline --cuda-graphs off"));
  ASSERT_EQ(off.exit_code, 0) << off.err;
  EXPECT_EQ(off.err.find("cuda-graphs"), std::string::npos) << off.err;
  const auto on = test::run_command(train(dir, "--variant baseline --cuda-graphs on"));
  ASSERT_EQ(on.exit_code, 0) << on.err;
  EXPECT_NE(on.err.find("note: --cuda-graphs on has no effect on cpu"), std::string::npos) << on.err;
  EXPECT_FALSE(epoch_numbers(off.out).empty()) << off.out;
  EXPECT_EQ(epoch_numbers(on.out), epoch_numbers(off.out));
}

}  // namespace
}  // namespace ms
