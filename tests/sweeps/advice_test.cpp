// Sweep advice: coupled L2 weight decay on a layer-scaled model is flagged once per sweep, with
// the fix; the per-optimizer defaults (adam, sgd: 0) and adamw are never flagged.
#include "sweeps/advice.h"

#include <gtest/gtest.h>

#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"
#include "tests/sweeps/test_catalog.h"

namespace ms {
namespace {

std::vector<std::string> advice_of(const std::string& sweep_text) {
  return sweep_advice(expand_sweep(parse_sweep(sweep_text, "t.yaml", test::test_catalog()), test::test_catalog()));
}

std::vector<std::string> advice_for(const std::string& optimizer_yaml, const std::string& extra_model = "") {
  const std::string text = "name: t\nbase:\n  task: {dataset: reverse, seq_len: 8, optimizer: " + optimizer_yaml +
                           "}\n  model: {arch: sequence, depths: [1], dims: [16]" + extra_model +
                           "}\nseeds: [0, 1]\nablations:\n  mixer:\n    - {model.mixers: identity}\n";
  return advice_of(text);
}

TEST(SweepAdvice, CoupledWeightDecayWithLayerScaleIsFlaggedOnce) {
  const auto lines = advice_for("{name: adam, weight_decay: 0.05}");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("4 of 4 jobs"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("adamw"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("layer scale"), std::string::npos) << lines[0];
  EXPECT_EQ(advice_for("{name: sgd, weight_decay: 0.001}").size(), 1u);
}

TEST(SweepAdvice, DefaultsAndDecoupledDecayAreFine) {
  EXPECT_TRUE(advice_for("{name: adam}").empty());
  EXPECT_TRUE(advice_for("{name: sgd}").empty());
  EXPECT_TRUE(advice_for("{name: adamw}").empty());
  EXPECT_TRUE(advice_for("{name: adamw, weight_decay: 0.1}").empty());
  EXPECT_TRUE(advice_for("{name: adam, weight_decay: 0.05}", ", layer_scale: 0").empty());  // no layer scale
}

TEST(SweepAdvice, AMissingDataFolderIsNamedOnceWithItsJobs) {
  const std::string text =
      "name: t\nbase:\n  task: {dataset: fashion-mnist, data_dir: /no/such/fashion-mnist}\nseeds: [0, 1]\n"
      "ablations:\n  mixer:\n    - {model.mixers: identity}\n    - {task.data_dir: \"" +
      std::string(METASWEEP_SOURCE_DIR) + "\"}\n";
  const auto lines = advice_of(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "task.data_dir '/no/such/fashion-mnist' is not a folder on this machine (4 of 6 jobs read it): they "
            "will fail unless it exists where they run");
}

// A warmup as long as the training never leaves its ramp: said once, with an example.
TEST(SweepAdvice, AWarmupAsLongAsTheTrainingIsFlagged) {
  const std::string text =
      "name: t\nbase:\n  task: {dataset: reverse, seq_len: 8, epochs: 2, schedule: {warmup_epochs: 1}}\n"
      "  model: {arch: sequence, depths: [1], dims: [16]}\nseeds: [0]\nablations:\n  w:\n"
      "    task.schedule.warmup_epochs: [2, 5]\n";
  const auto lines = advice_of(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "2 of 3 jobs warm up for as many epochs as they train or more (e.g. warmup_epochs 2, epochs 2): "
                      "their learning rate never leaves the warmup ramp to follow task.schedule");
}

// A batch above the training set is clamped to it: said with an example (a subset of the
// generated set, or the generated set itself); one within it is not.
TEST(SweepAdvice, ABatchAboveTheTrainingSetIsFlagged) {
  const std::string text =
      "name: t\nbase:\n  task: {dataset: synthetic-images, epochs: 1, batch_size: 64, train_subset: 100}\n"
      "  model: {depths: [1, 1], dims: [8, 16]}\nseeds: [0]\nablations:\n  b:\n"
      "    task.batch_size: [4096, 8192]\n";
  const auto lines = advice_of(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "2 of 3 jobs have task.batch_size above their training examples (e.g. batch_size 4096, 100 "
                      "examples): each epoch is one batch of all of them, so any batch size above it trains alike");
  EXPECT_EQ(advice_of("name: t\nbase:\n  task: {dataset: synthetic-images, epochs: 1, batch_size: 2048}\n"
                      "  model: {depths: [1, 1], dims: [8, 16]}\nseeds: [0]\n")
                .size(),
            1u);  // synthetic-images makes 1024 training examples
  EXPECT_TRUE(advice_of("name: t\nbase:\n  task: {dataset: synthetic-images, epochs: 1, batch_size: 1024}\n"
                        "  model: {depths: [1, 1], dims: [8, 16]}\nseeds: [0]\n")
                  .empty());
}

// A learning rate of 0 trains nothing: said once, with how many jobs.
TEST(SweepAdvice, ALearningRateOfZeroIsFlagged) {
  const std::string text =
      "name: t\nbase:\n  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}\n"
      "  model: {depths: [1, 1], dims: [8, 16]}\nseeds: [0, 1]\nablations:\n  lr:\n"
      "    task.optimizer.lr: [0, 0.01]\n";
  const auto lines = advice_of(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "2 of 6 jobs have task.optimizer.lr 0: training never moves their weights from initialisation");
}

// Stochastic depth without a residual zeroes whole samples: flagged with the share a step erases
// (4 blocks at rates 0, 0.1/3, 0.2/3, 0.1, two branches each: 1 - (29/30 * 28/30 * 0.9)^2 = 34%, as
// a reviewer counted on the built model: 1353 of 4000 samples).
TEST(SweepAdvice, DropPathWithoutResidualIsFlagged) {
  const std::string text =
      "name: t\nbase:\n  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}\n"
      "  model: {depths: [2, 2], dims: [8, 16], drop_path: 0.1}\nseeds: [0]\nablations:\n  other:\n"
      "    - {label: no residual, model.residual: false}\n"
      "    - {label: no residual no drop, model.residual: false, model.drop_path: 0}\n";
  const auto lines = advice_of(text);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "1 of 3 jobs (e.g. 'other / no residual') use model.drop_path > 0 with model.residual: false: a dropped "
            "branch has no residual to fall back to, so its sample's activations become zeros (34% of each batch "
            "there reach the head with their input erased). Set model.drop_path: 0 in those variants unless that is "
            "the ablation meant");
}

// A long label is named whole in the coupled-weight-decay line (a fixed buffer cut it).
TEST(SweepAdvice, ALongLabelIsNamedWhole) {
  const std::string label(150, 'x');
  const std::string text =
      "name: t\nbase:\n  task: {dataset: synthetic-images, epochs: 1, batch_size: 16, optimizer: {name: adam, "
      "weight_decay: 0.05}}\n  model: {depths: [1, 1], dims: [8, 16]}\nseeds: [0]\nablations:\n  "
      "a:\n    - {label: " + label + "é, model.norm: batchnorm}\n";
  const auto lines = advice_of(text);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines[0].find("'a / " + label + "é') use adam"), std::string::npos) << lines[0];
}

// Shards named one by one (task.train_shards / val_shards) are checked as data_dir is: a pattern
// whose files are all missing, or some of them, is named with its jobs; one that exists is not.
TEST(SweepAdvice, MissingShardsAreNamedWithTheirJobs) {
  const std::string here = METASWEEP_SOURCE_DIR;
  auto lines_for = [](const std::string& train, const std::string& val) {
    const std::string text =
        "name: t\nbase:\n  task: {dataset: webdataset, num_classes: 3, train_shards: \"" + train +
        "\", val_shards: \"" + val + "\"}\nseeds: [0]\n";
    return advice_of(text);
  };
  EXPECT_TRUE(lines_for(here + "/README.md", here).empty());  // a file, a folder
  auto lines = lines_for("/no/such/train-{000..003}.tar", here + "/{README.md,Makefile,NOPE}");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "task.train_shards '/no/such/train-{000..003}.tar' names no file on this machine (1 of 1 jobs "
                      "read it): they will fail unless the shards exist where they run");
  EXPECT_EQ(lines[1].rfind("task.val_shards '" + here + "/{README.md,Makefile,NOPE}' misses 1 of its 3 shards", 0), 0u)
      << lines[1];
}

}  // namespace
}  // namespace ms
