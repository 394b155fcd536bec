// The cost formulas (model_formula.h) against the built model: for every mixer, norm and
// activation, image and sequence models, causal and not, learned positions, post-norm, layer
// scale on and off, no channel MLP, hybrids with a position embedding, the formula's trainable
// and frozen parameters and MACs equal what building the model and counting its forward gives,
// to the unit. And a model far too large to build is counted exactly without allocating it.
#include "worker/models/model_formula.h"

#include <tuple>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/test_support.h"
#include "tests/worker/model_test_util.h"
#include "worker/mixers/registry.h"
#include "worker/models/model_cost.h"

namespace ms {
namespace {

// A sequence task's keys, then `model`: charlm reads the README as its text (its vocabulary is
// its 256 byte values); the generated tasks take a vocabulary of 7.
test::KeyValues with_task(const std::string& dataset, const test::KeyValues& model) {
  test::KeyValues kv = {{"task.dataset", dataset}, {"task.seq_len", 12}};
  if (dataset == "charlm")
    kv.push_back({"task.text_file", test::source_dir() + "/README.md"});
  else
    kv.push_back({"task.vocab", 7});
  kv.insert(kv.end(), model.begin(), model.end());
  return kv;
}

void expect_formula_matches(const nlohmann::json& config) {
  SCOPED_TRACE(config["model"].dump() + " " + config["task"]["dataset"].get<std::string>());
  const ModelCost built = measured_cost(config), counted = formula_cost(config);
  EXPECT_EQ(counted.params, built.params);
  EXPECT_EQ(counted.frozen_params, built.frozen_params);
  EXPECT_EQ(counted.macs, built.macs);
}

std::vector<std::string> mixers() {
  std::vector<std::string> names;
  for (const auto& e : mixer_registry()) names.push_back(e.traits.name);
  return names;
}

TEST(ModelFormula, ImageModelsOfEveryMixerNormAndActivation) {
  const std::vector<std::string> norms = {"group1", "layernorm", "batchnorm", "rmsnorm", "none"};
  const std::vector<std::string> activations = {"gelu", "relu", "silu", "starrelu", "squared_relu"};
  for (const auto& mixer : mixers())
    for (size_t i = 0; i < norms.size(); ++i)
      expect_formula_matches(test::make_config({{"task.dataset", "synthetic-images"},
                                                {"task.image_size", 20},
                                                {"task.channels", 3},
                                                {"task.num_classes", 7},
                                                {"model.depths", {1, 2}},
                                                {"model.dims", {32, 64}},
                                                {"model.mixers", mixer},
                                                {"model.norm", norms[i]},
                                                {"model.activation", activations[i]},
                                                {"model.mlp_ratio", 2.5},
                                                {"model.pool_size", i % 2 ? 5 : 3},
                                                {"model.layer_scale", i % 2 ? 0.0 : 1e-5},
                                                {"model.stem.kernel", 5},
                                                {"model.stem.stride", 3},
                                                {"model.stem.padding", 1}}));
}

TEST(ModelFormula, HybridsAndAblatedBlocks) {
  // [pool, attention]: a position embedding before the attention stage; heads by head_dim.
  expect_formula_matches(test::make_config({{"task.dataset", "synthetic-images"},
                                            {"task.image_size", 32},
                                            {"model.depths", {1, 1, 1}},
                                            {"model.dims", {16, 32, 64}},
                                            {"model.mixers", {"pool", "attention", "kv_pos_attention"}},
                                            {"model.head_dim", 16}}));
  expect_formula_matches(test::make_config({{"task.dataset", "fashion-mnist"},
                                            {"model.depths", {2, 1}},
                                            {"model.dims", {24, 48}},
                                            {"model.mixers", {"spatial_fc", "gmlp"}},
                                            {"model.channel_mlp", false},
                                            {"model.residual", false}}));
}

// gMLP's block (model.block: gmlp): image and sequence models, causal or not, pre- or post-norm,
// with and without layer scale, every activation.
TEST(ModelFormula, GmlpBlocks) {
  const std::vector<std::string> activations = {"gelu", "relu", "silu", "starrelu", "squared_relu"};
  for (size_t i = 0; i < activations.size(); ++i)
    expect_formula_matches(test::make_config({{"task.dataset", "synthetic-images"},
                                              {"task.image_size", 20},
                                              {"model.block", "gmlp"},
                                              {"model.depths", {1, 2}},
                                              {"model.dims", {16, 32}},
                                              {"model.mixers", "gmlp"},
                                              {"model.mlp_ratio", i % 2 ? 6.0 : 2.5},
                                              {"model.activation", activations[i]},
                                              {"model.norm", i % 2 ? "layernorm" : "group1"},
                                              {"model.layer_scale", i % 2 ? 0.0 : 1e-5},
                                              {"model.stem.kernel", 5},
                                              {"model.stem.stride", 3},
                                              {"model.stem.padding", 1}}));
  for (const std::string dataset : {"reverse", "charlm"})
    expect_formula_matches(
        test::make_config(with_task(dataset, {{"model.arch", "sequence"},
                                              {"model.block", "gmlp"},
                                              {"model.depths", {2}},
                                              {"model.dims", {32}},
                                              {"model.mixers", "gmlp"},
                                              {"model.norm", "layernorm"},
                                              {"model.norm_position", dataset == "charlm" ? "post" : "pre"}})));
}

// gMLP-Ti and gMLP-S as the paper builds them (d 128 / 256, d_ffn 6·d, 30 blocks, 16×16 patches
// of 224² images, no layer scale): the counts of an independent PyTorch build of the paper's block
// (LN, Linear d→d_ffn, GELU, SGU with LN and an N×N spatial linear, Linear d_ffn/2→d; final LN,
// linear head): 5,867,328 and 19,422,656 parameters, REFERENCE.md's ≈6M and ≈20M.
TEST(ModelFormula, GmlpTiAndSAreThePapers) {
  for (const auto& [dim, params, macs] : {std::tuple<int64_t, int64_t, int64_t>{128, 5867328, 1328989184},
                                          std::tuple<int64_t, int64_t, int64_t>{256, 19422656, 4392060928}}) {
    const auto config = test::imagenet_config({{"model.block", "gmlp"},
                                               {"model.mixers", "gmlp"},
                                               {"model.depths", {30}},
                                               {"model.dims", {dim}},
                                               {"model.mlp_ratio", 6.0},
                                               {"model.norm", "layernorm"},
                                               {"model.layer_scale", 0.0},
                                               {"model.stem.kernel", 16},
                                               {"model.stem.stride", 16},
                                               {"model.stem.padding", 0}});
    const ModelCost cost = formula_cost(config);
    EXPECT_EQ(cost.params, params) << "dim " << dim;
    EXPECT_EQ(cost.macs, macs) << "dim " << dim;
  }
}

TEST(ModelFormula, SequenceModelsCausalOrNot) {
  for (const auto& mixer : mixers()) {
    for (const std::string dataset : {"sort", "charlm"}) {
      if (dataset == "charlm" && !find_mixer_entry(mixer).traits.causal_ok) continue;
      for (const std::string positions : {"sinusoidal", "learned"})
        expect_formula_matches(
            test::make_config(with_task(dataset, {{"model.arch", "sequence"},
                                                  {"model.depths", {2}},
                                                  {"model.dims", {32}},
                                                  {"model.mixers", mixer},
                                                  {"model.heads", 4},
                                                  {"model.norm", "layernorm"},
                                                  {"model.activation", "starrelu"},
                                                  {"model.positions", positions},
                                                  {"model.norm_position", positions == "learned" ? "post" : "pre"},
                                                  {"model.pool_size", 5}})));
    }
  }
}

TEST(ModelFormula, PoolFormerS12FromTheFormulaIsThePapers) {
  const ModelCost cost = formula_cost(test::imagenet_config({}));
  EXPECT_NEAR(static_cast<double>(cost.params) / 1e6, 11.9, 0.1);
  EXPECT_NEAR(static_cast<double>(cost.macs) / 1e9, 1.8, 0.1);
}

TEST(ModelFormula, AModelTooLargeToBuildIsCountedWithoutAllocating) {
  // dims 100000 in all four stages: ~1.3e12 weights (5 TB), far beyond any machine's memory.
  const auto config = test::imagenet_config({{"model.dims", {100000, 100000, 100000, 100000}}});
  const ModelCost cost = model_cost(config);  // would throw std::bad_alloc (or be killed) if it built
  EXPECT_FALSE(cost.unbuildable.empty());
  EXPECT_NE(cost.unbuildable.find("model too large to build"), std::string::npos) << cost.unbuildable;
  // Per block: 2 norms (4C) + 2 layer scales (2C) + MLP (8C² + 5C); downsamples (9C² + C); stem; norm; head.
  const int64_t c = 100000;
  const int64_t expected = 3 * 49 * c + c + 12 * (8 * c * c + 11 * c) + 3 * (9 * c * c + c) + 2 * c + c * 1000 + 1000;
  EXPECT_EQ(cost.params, expected);
  EXPECT_GT(cost.macs, 0);
  // Absurd geometries are refused, never overflowed.
  EXPECT_THROW(formula_cost(test::make_config({{"task.dataset", "synthetic-images"},
                                               {"task.image_size", 4096},
                                               {"model.stem.kernel", 1},
                                               {"model.stem.stride", 1},
                                               {"model.stem.padding", 0},
                                               {"model.depths", {1}},
                                               {"model.dims", {1000000}},
                                               {"model.mixers", "spatial_fc"}})),
               std::invalid_argument);
}

// A long sequence builds small weights but its measuring forward would hold L x L scores per head
// (seq_len 65536: 17 GB each; an audit saw `plan` at 14.6 GB after 100 s): it is counted by the
// formulas, which the tests above hold exact, and stays buildable.
TEST(ModelFormula, ALongSequenceIsCountedWithoutItsForwardPass) {
  const auto config = test::make_config({{"task.dataset", "reverse"},
                                         {"task.seq_len", 65536},
                                         {"task.vocab", 10},
                                         {"model.arch", "sequence"},
                                         {"model.depths", {1}},
                                         {"model.dims", {8}},
                                         {"model.mixers", "attention"},
                                         {"model.heads", 2},
                                         {"model.norm", "layernorm"}});
  const ModelCost cost = model_cost(config);
  const ModelCost formula = formula_cost(config);
  EXPECT_TRUE(cost.unbuildable.empty()) << cost.unbuildable;
  EXPECT_EQ(cost.params, formula.params);
  EXPECT_EQ(cost.macs, formula.macs);
  EXPECT_GT(cost.macs, int64_t{65536} * 65536 * 8);  // the scores and their weighted sum: 2 L^2 d
}

// The same for images: attention over a 256 x 256 token grid (a stride-1 stem) would hold 200 GB
// of scores in its measuring forward (an audit saw `plan` at 8.6 GB for 128 x 128, and killed
// at 224); it is counted by the formulas. A PoolFormer-S12 at 224 stays measured.
TEST(ModelFormula, AManyTokenImageAttentionModelIsCountedWithoutItsForwardPass) {
  const auto config = test::make_config({{"task.dataset", "synthetic-images"},
                                         {"task.image_size", 256},
                                         {"model.depths", {1}},
                                         {"model.dims", {8}},
                                         {"model.mixers", "attention"},
                                         {"model.heads", 2},
                                         {"model.stem.kernel", 1},
                                         {"model.stem.stride", 1},
                                         {"model.stem.padding", 0}});
  const ModelCost formula = formula_cost(config);
  EXPECT_GT(formula.activation_bytes, 3.0 * 65536 * 65536 * 2 * 4 - 1);
  const ModelCost cost = model_cost(config);
  EXPECT_GT(cost.activation_bytes, 0) << "measured (only the formulas fill activation_bytes)";
  EXPECT_EQ(cost.params, formula.params);
  EXPECT_EQ(cost.macs, formula.macs);
  EXPECT_LT(formula_cost(test::imagenet_config({})).activation_bytes, 64.0 * 1024 * 1024);
  EXPECT_EQ(model_cost(test::imagenet_config({})).activation_bytes, 0) << "PoolFormer-S12 at 224 is measured";
}

}  // namespace
}  // namespace ms
