// Sequence-encoder tests: output shape for the synthetic tasks, end-to-end causality for charlm
// with every causal mixer, positions, post-norm, and its cost.
#include "worker/models/sequence_model.h"

#include <gtest/gtest.h>

#include "tests/worker/model_test_util.h"
#include "worker/mixers/registry.h"
#include "worker/models/model.h"
#include "worker/models/model_cost.h"

namespace ms {
namespace {

using test::make_config;

nlohmann::json sequence_config(test::KeyValues values) {
  values.insert(values.begin(), {{"task.dataset", "copy"},
                                 {"task.seq_len", 12},
                                 {"model.arch", "sequence"},
                                 {"model.depths", {2}},
                                 {"model.dims", {16}},
                                 {"model.head_dim", 8},
                                 {"model.norm", "layernorm"},
                                 {"model.drop_path", 0.0}});
  return make_config(values);
}

TEST(SequenceModel, CopyTaskGivesPerTokenLogits) {
  for (const char* positions : {"sinusoidal", "learned", "none"}) {
    for (const char* norm_position : {"pre", "post"}) {
      auto model = build_model(sequence_config(
          {{"model.mixers", "kv_attention"}, {"model.positions", positions}, {"model.norm_position", norm_position}}));
      auto logits = model->forward(torch::randint(0, 10, {3, 12}, torch::kLong));
      EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 12, 10})) << positions << " " << norm_position;
      EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
    }
  }
}

TEST(SequenceModel, CharLmIsCausalForEveryCausalMixer) {
  for (const auto& entry : mixer_registry()) {
    if (!entry.traits.causal_ok) continue;
    torch::manual_seed(0);
    auto model = build_model(sequence_config({{"task.dataset", "charlm"},
                                              {"task.text_file", "/dev/null"},
                                              {"model.mixers", entry.traits.name},
                                              {"model.layer_scale", 0.5}}));
    model->eval();
    torch::NoGradGuard no_grad;
    auto tokens = torch::randint(0, 256, {2, 12}, torch::kLong);
    auto changed = tokens.clone();
    changed.select(1, 7).add_(1).remainder_(256);
    auto a = model->forward(tokens), b = model->forward(changed);
    ASSERT_EQ(a.sizes(), (std::vector<int64_t>{2, 12, 256}));
    EXPECT_TRUE(torch::allclose(a.narrow(1, 0, 7), b.narrow(1, 0, 7), 1e-5, 1e-6)) << entry.traits.name;
    EXPECT_FALSE(torch::allclose(a.narrow(1, 7, 5), b.narrow(1, 7, 5))) << entry.traits.name;
  }
}

TEST(SequenceModel, SinusoidalPositionsFollowTheFormula) {
  auto pe = sinusoidal_positions(5, 4);
  EXPECT_NEAR(pe[3][0].item<double>(), std::sin(3.0), 1e-6);
  EXPECT_NEAR(pe[3][1].item<double>(), std::cos(3.0), 1e-6);
  EXPECT_NEAR(pe[3][2].item<double>(), std::sin(3.0 / 100.0), 1e-6);
  EXPECT_NEAR(pe[3][3].item<double>(), std::cos(3.0 / 100.0), 1e-6);
}

TEST(SequenceModel, CostCountsProjectionsAndScores) {
  const ModelCost cost =
      model_cost(sequence_config({{"model.mixers", "kv_attention"}, {"model.positions", "learned"}}));
  const int64_t c = 16, l = 12, v = 10;
  const int64_t block = (3 * c * c + 3 * c) + (2 * c) * 2 + (c * 4 * c + 4 * c + 4 * c * c + c) + 2 * c;
  EXPECT_EQ(cost.params, v * c + l * c + 2 * block + 2 * c + c * v + v);
  const int64_t block_macs = 3 * l * c * c + 2 * l * l * c + 2 * l * c * 4 * c;
  EXPECT_EQ(cost.macs, 2 * block_macs + l * c * v);
}

TEST(SequenceModel, TrainsWithGradientsEverywhere) {
  torch::manual_seed(1);
  auto model = build_model(sequence_config({{"model.mixers", "attention"}, {"model.norm_position", "post"}}));
  model->train();
  auto tokens = torch::randint(0, 10, {4, 12}, torch::kLong);
  auto logits = model->forward(tokens);
  torch::nn::functional::cross_entropy(logits.reshape({-1, 10}), tokens.reshape({-1})).backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

}  // namespace
}  // namespace ms
