// The example sweeps shipped in sweeps/ parse and expand as documented.
#include <set>

#include <gtest/gtest.h>

#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"
#include "tests/sweeps/test_catalog.h"
#include "tests/test_support.h"

namespace ms {
namespace {

std::vector<Job> plan_file(const std::string& name) {
  const std::string path = test::source_dir() + "/sweeps/" + name;
  return expand_sweep(load_sweep_file(path, test::test_catalog()), test::test_catalog());
}

TEST(ExampleSweeps, PoolFormerTable5HasEveryRow) {
  const auto jobs = plan_file("poolformer_s12_ablation.yaml");
  // baseline + 17 variants (3 mixers, 3 pool sizes, 3 norms, 2 activations, 2 other, 4 hybrids);
  // pool size 3 is the baseline itself; one seed.
  ASSERT_EQ(jobs.size(), 18u);
  std::set<std::string> sections, ids;
  for (const auto& j : jobs) sections.insert(j.section), ids.insert(j.id);
  EXPECT_EQ(ids.size(), jobs.size());
  EXPECT_EQ(sections, (std::set<std::string>{"baseline", "token mixer", "pool size", "normalization", "activation",
                                             "other", "hybrid stages"}));
  EXPECT_EQ(jobs.back().variant, "[P,P,F,F]");
  EXPECT_DOUBLE_EQ(*jobs.back().reference, 77.9);
}

TEST(ExampleSweeps, KvTransformerCrossesFormsAndTasks) {
  const auto jobs = plan_file("kv_transformer_synthetic.yaml");
  EXPECT_EQ(jobs.size(), 3u * 5u * 3u);  // 3 attention forms x 5 tasks x 3 seeds
}

TEST(ExampleSweeps, FidelitySweepsExpand) {
  EXPECT_EQ(plan_file("fidelity/kv_synthetic.yaml").size(), 3u * 5u * 3u);  // forms x tasks x seeds
  EXPECT_EQ(plan_file("fidelity/gmlp_sequence.yaml").size(), 6u * 3u);
  EXPECT_EQ(plan_file("fidelity/poolformer_table5_fmnist.yaml").size(), 11u * 3u);
  // The KV table trains exactly the oracle's encoder: no layer scale, no stochastic depth, adam
  // without weight decay (its default).
  for (const auto& job : plan_file("fidelity/kv_synthetic.yaml")) {
    EXPECT_EQ(job.config["model"]["layer_scale"], 0.0);
    EXPECT_EQ(job.config["model"]["drop_path"], 0.0);
    EXPECT_EQ(job.config["task"]["optimizer"]["weight_decay"], 0.0);
  }
}

TEST(ExampleSweeps, DemoAndGmlpExpand) {
  EXPECT_EQ(plan_file("demo.yaml").size(), 6u * 2u);
  EXPECT_EQ(plan_file("gmlp_vs_attention.yaml").size(), 7u * 3u);
}

}  // namespace
}  // namespace ms
