// Sweep files -> jobs: expansion counts, labels, canonical ids, dedup, grid/zip/exclude.
#include "sweeps/sweep_spec.h"

#include <set>

#include <gtest/gtest.h>

#include "sweeps/errors.h"
#include "sweeps/job.h"
#include "tests/sweeps/test_catalog.h"

namespace ms {
namespace {

using test::plan;

const char* kStudy = R"(
name: study
base:
  task: {dataset: fashion-mnist, epochs: 2, batch_size: 64,
         optimizer: {name: adamw, lr: 1.0e-3, weight_decay: 0.05}}
  model: {depths: [1, 1], dims: [16, 32], mixers: pool, pool_size: 3}
seeds: [0, 1]
ablations:
  token mixer:
    - {model.mixers: identity}
    - {label: "[P,A]", model.mixers: [pool, attention]}
  pool size:
    model.pool_size: [5, 7]
)";

TEST(SweepSpec, ExpandsBaselineVariantsAndSeeds) {
  const auto jobs = plan(kStudy);
  ASSERT_EQ(jobs.size(), 5u * 2u);
  EXPECT_EQ(jobs[0].section, "baseline");
  EXPECT_EQ(jobs[0].variant, "baseline");
  EXPECT_EQ(jobs[2].section, "token mixer");
  EXPECT_EQ(jobs[2].variant, "model.mixers=identity");
  EXPECT_EQ(jobs[4].variant, "[P,A]");
  EXPECT_EQ(jobs[6].section, "pool size");
  EXPECT_EQ(jobs[6].variant, "model.pool_size=5");
  EXPECT_EQ(jobs[1].seed, 1);
  std::set<std::string> ids;
  for (const auto& j : jobs) ids.insert(j.id);
  EXPECT_EQ(ids.size(), jobs.size());
  // per-stage keys are expanded in the resolved config
  EXPECT_EQ(jobs[0].config["model"]["mixers"], nlohmann::json({"pool", "pool"}));
  EXPECT_EQ(jobs[0].config["model"]["heads"], nlohmann::json({1, 1}));  // auto: 16/32 -> 1, 32/32 -> 1
  EXPECT_EQ(jobs[0].config["task"]["data_dir"], "/usr/share/datasets/fashion-mnist");
}

TEST(SweepSpec, SameStudyOtherSpellingGivesSameIds) {
  const char* other = R"(
# the same study, other order, block style, other number spellings
seeds: [0, 1]
ablations:
  token mixer:
    - model.mixers: identity
    - label: "[P,A]"
      model.mixers:
        - pool
        - attention
  pool size:
    - {model.pool_size: 5.0}
    - {model.pool_size: 7}
base:
  model:
    pool_size: 3
    mixers: [pool, pool]     # same as "pool" for both stages
    dims: [16, 32]
    depths: [1, 1]
  task:
    optimizer: {weight_decay: 5e-2, lr: 0.001, name: adamw}
    batch_size: 64
    epochs: 2.0
    dataset: fashion-mnist
name: study
)";
  const auto a = plan(kStudy), b = plan(other);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id) << a[i].variant;
    EXPECT_EQ(a[i].variant, b[i].variant);
  }
}

// -0 is 0: the same canonical config, the same id (it gave another id, and plan showed -0.0).
TEST(SweepSpec, NegativeZeroIsZero) {
  const char* zero = "name: z\nbase: {task: {label_smoothing: 0, schedule: {warmup_epochs: 0}}}\nseeds: [0]\n";
  const char* minus = "name: z\nbase: {task: {label_smoothing: -0.0, schedule: {warmup_epochs: -0}}}\nseeds: [0]\n";
  const auto a = plan(zero), b = plan(minus);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].id, b[0].id);
  EXPECT_EQ(b[0].config.dump().find(":-0"), std::string::npos) << b[0].config.dump();
}

TEST(SweepSpec, VariantEqualToBaselineIsOneJob) {
  const auto jobs = plan(R"(
name: dup
base: {model: {pool_size: 3}}
seeds: [0]
ablations:
  pool size:
    model.pool_size: [3, 5]
)");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].section, "baseline");
  EXPECT_EQ(jobs[1].variant, "model.pool_size=5");
}

TEST(SweepSpec, VariantEqualToBaselineIsSaidWithItsPlace) {
  const SweepSpec spec = parse_sweep(R"(name: dup
base: {model: {pool_size: 3}}
seeds: [0, 1]
ablations:
  pool size:
    model.pool_size: [3, 5]
  hybrid:
    - {label: all pool, model.mixers: [pool, pool, pool, pool]}
    - {model.mixers: identity}
)",
                                     "t.yaml", test::test_catalog());
  std::vector<std::string> warnings;
  const auto jobs = expand_sweep(spec, test::test_catalog(), &warnings);
  ASSERT_EQ(jobs.size(), 3u * 2u);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0],
            "t.yaml:6:23: warning: variant 'model.pool_size=3' of section 'pool size' is the same job as the "
            "baseline; it is listed once, there");
  EXPECT_EQ(warnings[1].rfind("t.yaml:8:7: warning: variant 'all pool' of section 'hybrid' is the same job as the "
                              "baseline",
                              0),
            0u)
      << warnings[1];
}

TEST(SweepSpec, LabelsWriteWholeNumbersOfFloatKeysAsIntegers) {
  // mlp_ratio is a float key: the file's 2 labels as "2", not "2.0"; 2.5 and 1e-3 keep their value.
  const auto jobs = plan("name: g\ngrid:\n  model.mlp_ratio: [2, 2.5]\n  task.optimizer.lr: [1e-3, 1.0]\n");
  std::vector<std::string> variants;
  for (const auto& j : jobs) variants.push_back(j.variant);
  EXPECT_EQ(variants, (std::vector<std::string>{
                          "baseline, model.mlp_ratio=2, task.optimizer.lr=0.001",
                          "baseline, model.mlp_ratio=2, task.optimizer.lr=1",
                          "baseline, model.mlp_ratio=2.5, task.optimizer.lr=0.001",
                          "baseline, model.mlp_ratio=2.5, task.optimizer.lr=1",
                      }));
}

TEST(SweepSpec, GridCellsFoldingIntoEarlierJobsAreCounted) {
  // weight_decay 0 is sgd's default: under the sgd cell the variant is the baseline's job.
  const SweepSpec spec = parse_sweep(
      "name: g\nablations:\n  wd:\n    task.optimizer.weight_decay: [0]\ngrid:\n  task.optimizer.name: [adamw, sgd]\n",
      "g.yaml", test::test_catalog());
  std::vector<std::string> warnings;
  const auto jobs = expand_sweep(spec, test::test_catalog(), &warnings);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[2].variant, "task.optimizer.weight_decay=0, task.optimizer.name=adamw");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "g.yaml:4:35: warning: 1 of 2 grid/zip cells of variant 'task.optimizer.weight_decay=0' of section 'wd' "
            "are the same jobs as earlier ones (first 'baseline, task.optimizer.name=sgd' (section 'baseline')); "
            "each is listed once, under the first");
}

TEST(SweepSpec, PoolWithHeadsThatDoNotDivideDimPlans) {
  // model.heads only matters to mixers that split heads (uses_heads): pool ignores it.
  const auto jobs = plan("name: h\nbase: {model: {heads: 3, dims: [8], depths: [1], mixers: pool}}\n");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].config["model"]["heads"], nlohmann::json({3}));
}

TEST(SweepSpec, PlainYamlBooleansAndNumbersStillRead) {
  // Plain true/false, YAML 1.1 yes/no/on/off (any case) and explicit !!bool/!!int tags are
  // read as before; only quoted or !!str scalars are text (sweep_errors_test).
  const auto jobs = plan(R"(name: b
base: {model: {residual: no, channel_mlp: On}, task: {epochs: !!int 2, optimizer: {nesterov: !!bool true}}}
ablations:
  r:
    - {model.residual: yes}
    - {model.residual: TRUE, model.channel_mlp: off}
)");
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].config["model"]["residual"], false);
  EXPECT_EQ(jobs[0].config["model"]["channel_mlp"], true);
  EXPECT_EQ(jobs[0].config["task"]["epochs"], 2);
  EXPECT_EQ(jobs[0].config["task"]["optimizer"]["nesterov"], true);
  EXPECT_EQ(jobs[1].config["model"]["residual"], true);
  EXPECT_EQ(jobs[2].config["model"]["channel_mlp"], false);
  // Quoted values stay fine where text is expected: names, enumerations, "auto".
  EXPECT_EQ(plan("name: \"q\"\nbase: {model: {norm: \"layernorm\", heads: \"auto\"}}\n")[0].config["model"]["norm"],
            "layernorm");
}

TEST(SweepSpec, AnEmptyTrailingDocumentIsNoSecondSweep) {
  EXPECT_EQ(plan("---\nname: one\n...\n").size(), 1u);
  EXPECT_EQ(plan("name: one\n---\n").size(), 1u);
  EXPECT_EQ(
      plan("%YAML 1.2\n--- # one sweep\nname: one\ndescription: |\n  --- not a marker when indented\n...\n# end\n")
          .size(),
      1u);
}

TEST(SweepSpec, ExcludingPartOfASectionOrTheBaselineIsFine) {
  const auto jobs = plan(R"(name: part
ablations:
  p:
    model.pool_size: [5, 7]
grid:
  model.activation: [gelu, relu]
exclude:
  - {model.pool_size: 5}
  - {model.pool_size: 3, model.activation: relu}
)");
  ASSERT_EQ(jobs.size(), 3u);  // baseline x gelu, pool 7 x gelu and relu
  EXPECT_EQ(jobs[0].variant, "baseline, model.activation=gelu");
  EXPECT_EQ(jobs[1].variant, "model.pool_size=7, model.activation=gelu");
}

TEST(SweepSpec, ExcludeEntriesThatDropNothingAreWarnedAbout) {
  // Line 8 drops pool 5; line 9 names a value no job has (a typo: 9 is not swept); line 10 only
  // matches jobs line 8 already dropped. The jobs are what they would be without lines 9 and 10.
  const SweepSpec spec = parse_sweep(R"(name: x
ablations:
  p:
    model.pool_size: [5, 7]
grid:
  model.activation: [gelu, relu]
exclude:
  - {model.pool_size: 5}
  - {model.pool_size: 9}
  - {model.pool_size: 5, model.activation: relu}
)",
                                     "x.yaml", test::test_catalog());
  std::vector<std::string> warnings;
  const auto jobs = expand_sweep(spec, test::test_catalog(), &warnings);
  EXPECT_EQ(jobs.size(), 4u);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0],
            "x.yaml:9:5: warning: this exclude entry drops nothing: no variant and grid/zip cell has all of its "
            "values (check them for a typo)");
  EXPECT_EQ(warnings[1],
            "x.yaml:10:5: warning: this exclude entry drops nothing: every job it matches is already dropped by an "
            "earlier entry (the one at line 8)");
}

TEST(SweepSpec, DifferentSeedOrConfigGivesDifferentId) {
  const auto jobs = plan(kStudy);
  EXPECT_NE(jobs[0].id, jobs[1].id);
  EXPECT_EQ(jobs[0].id, job_id(jobs[0].config, 0));
  EXPECT_EQ(jobs[0].id.size(), 16u);
}

TEST(SweepSpec, GridZipAndExclude) {
  const auto jobs = plan(R"(
name: g
base: {model: {depths: [1, 1], dims: [16, 32]}}
ablations:
  norm:
    model.norm: [none]
grid:
  model.activation: [gelu, relu]
zip:
  - {model.depths: [[1, 1], [2, 2]], model.drop_path: [0.1, 0.2]}
exclude:
  - {model.norm: none, model.activation: relu}
)");
  // (baseline + 1 variant) x 2 activations x 2 zip cells = 8, minus norm=none x relu x 2 = 6
  ASSERT_EQ(jobs.size(), 6u);
  EXPECT_EQ(jobs[0].variant, "baseline, model.activation=gelu, model.depths=[1,1], model.drop_path=0.1");
  for (const auto& j : jobs)
    EXPECT_FALSE(j.config["model"]["norm"] == "none" && j.config["model"]["activation"] == "relu");
}

TEST(SweepSpec, ExcludeMatchesPerStageKeyGivenOnce) {
  const auto jobs = plan(R"(
name: e
base: {model: {depths: [1, 1], dims: [16, 32]}}
ablations:
  mixer:
    model.mixers: [identity, attention]
exclude:
  - {model.mixers: identity}
)");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[1].variant, "model.mixers=attention");
}

TEST(SweepSpec, ReferenceValuesAreKept) {
  const auto jobs = plan(R"(
name: r
reference: 77.2
base: {model: {depths: [1, 1], dims: [16, 32]}}
ablations:
  mixer:
    - {model.mixers: identity, reference: 74.3}
)");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_DOUBLE_EQ(*jobs[0].reference, 77.2);
  EXPECT_DOUBLE_EQ(*jobs[1].reference, 74.3);
}

}  // namespace
}  // namespace ms
