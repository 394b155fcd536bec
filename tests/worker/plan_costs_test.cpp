// Plan estimates (worker/models/plan_costs.h) against their definition: training compute is
// 3 x forward MACs x training examples per epoch x epochs, with the examples each dataset really
// has (its files, its generated size, a subset, charlm's windows of its text) and the assumed
// 10,000 only where the count is known when a job indexes its files.
#include "worker/models/plan_costs.h"

#include <fstream>

#include <gtest/gtest.h>

#include "sweeps/job.h"
#include "tests/test_support.h"
#include "tests/worker/model_test_util.h"

namespace ms {
namespace {

Job planned(const test::KeyValues& values) {
  Job job;
  job.config = test::make_config(values);
  std::vector<Job> jobs{job};
  fill_costs(jobs);
  return jobs.front();
}

double expected(const Job& job, double examples, double epochs) { return 3.0 * double(job.macs) * examples * epochs; }

TEST(PlanCosts, TrainingComputeCountsTheExamplesEachDatasetHas) {
  const test::KeyValues small = {{"model.depths", {1}}, {"model.dims", {8}}, {"task.epochs", 2}};
  auto with = [&](test::KeyValues extra) {
    extra.insert(extra.end(), small.begin(), small.end());
    return planned(extra);
  };
  const Job files = with({{"task.dataset", "fashion-mnist"}});
  ASSERT_GT(files.macs, 0);
  EXPECT_FALSE(costed_at_assumed_size(files));
  EXPECT_DOUBLE_EQ(estimated_cost(files), expected(files, 60000, 2));
  const Job subset = with({{"task.dataset", "fashion-mnist"}, {"task.train_subset", 500}});
  EXPECT_DOUBLE_EQ(estimated_cost(subset), expected(subset, 500, 2));
  const Job generated = with({{"task.dataset", "synthetic-images"}, {"task.train_size", 300}});
  EXPECT_DOUBLE_EQ(estimated_cost(generated), expected(generated, 300, 2));
  const Job folder =
      with({{"task.dataset", "imagefolder"}, {"task.data_dir", "/nonexistent"}, {"task.num_classes", 10}});
  EXPECT_TRUE(costed_at_assumed_size(folder));
  EXPECT_DOUBLE_EQ(estimated_cost(folder), expected(folder, kAssumedTrainExamples, 2));
}

// charlm: 1,001 bytes in windows of 10 are 100 windows, 10 held out, 90 trained on.
TEST(PlanCosts, CharLmIsCostedByTheWindowsOfItsText) {
  test::TempDir dir;
  std::ofstream(dir.file("text.txt")) << std::string(1001, 'a');
  const test::KeyValues lm = {{"task.dataset", "charlm"},    {"task.seq_len", 10},       {"task.epochs", 3},
                              {"model.arch", "sequence"},    {"model.depths", {1}},      {"model.dims", {8}},
                              {"model.mixers", "attention"}, {"model.norm", "layernorm"}};
  test::KeyValues here = lm;
  here.push_back({"task.text_file", dir.file("text.txt")});
  const Job job = planned(here);
  ASSERT_GT(job.macs, 0);
  EXPECT_FALSE(costed_at_assumed_size(job));
  EXPECT_DOUBLE_EQ(estimated_cost(job), expected(job, 90, 3));
  EXPECT_EQ(charlm_windows(1001, 10).train, 90);
  EXPECT_EQ(charlm_windows(1001, 10).test, 10);
  EXPECT_EQ(charlm_windows(20, 10).train, 0);  // under two windows and a byte: none

  test::KeyValues missing = lm;
  missing.push_back({"task.text_file", dir.file("missing.txt")});
  EXPECT_TRUE(costed_at_assumed_size(planned(missing)));
}

}  // namespace
}  // namespace ms
