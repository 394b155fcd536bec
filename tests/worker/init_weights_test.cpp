// model.init against its formulas: trunc_normal gives every Linear/Conv weight timm's
// trunc_normal_(std=0.02), whose cut at ±2 is absolute (100 std: in effect N(0, 0.02)), and zero
// biases (MetaFormer's code); poolformer leaves the stem and downsampling convs at PyTorch's
// default, as PoolFormer's code; pytorch gives them PyTorch's layer defaults,
// kaiming-uniform with a = √5, i.e. U(±1/√fan_in) (std 1/√(3·fan_in)) for weights and biases.
// Other parameters (embeddings, norms, position tables) keep their module's own init. The
// fidelity suite shows why it matters: the oracle's plain torch.nn encoder with trunc_normal
// reaches 0.83 on sort with KV attention instead of 0.87 (docs/fidelity.md).
#include "worker/models/init_weights.h"

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/worker/model_test_util.h"
#include "worker/models/model.h"

namespace ms {
namespace {

nlohmann::json sequence_config(const std::string& init, const std::string& mixer) {
  return test::make_config({{"task.dataset", "reverse"},
                            {"task.seq_len", 16},
                            {"task.vocab", 10},
                            {"model.arch", "sequence"},
                            {"model.depths", {2}},
                            {"model.dims", {256}},
                            {"model.mixers", mixer},
                            {"model.heads", 4},
                            {"model.norm", "layernorm"},
                            {"model.mlp_ratio", 2},
                            {"model.init", init}});
}

struct Layer {
  std::string name;
  torch::Tensor weight, bias;
  int64_t fan_in;
};

std::vector<Layer> conv_linear_layers(torch::nn::Module& model) {
  std::vector<Layer> out;
  for (const auto& item : model.named_modules()) {
    if (auto* fc = dynamic_cast<torch::nn::LinearImpl*>(item.value().get()))
      out.push_back({item.key(), fc->weight, fc->bias, fc->weight.size(1)});
    else if (auto* conv = dynamic_cast<torch::nn::Conv2dImpl*>(item.value().get()))
      out.push_back({item.key(), conv->weight, conv->bias, conv->weight[0].numel()});
  }
  return out;
}

TEST(ModelInit, TruncNormalIsTimmsAndTheDefault) {
  torch::manual_seed(0);
  auto model = build_model(sequence_config("trunc_normal", "kv_attention"));
  const auto layers = conv_linear_layers(*model);
  ASSERT_GE(layers.size(), 9u);  // 2 × (k, v, proj, fc1, fc2) + head
  for (const auto& l : layers) {
    SCOPED_TRACE(l.name);
    if (l.weight.numel() >= 4096) {
      // Not cut at ±2 std (which would give std 0.880 × 0.02 = 0.0176 and nothing beyond 0.04):
      // about 4.6% of a normal's draws lie beyond 2 std.
      EXPECT_NEAR(l.weight.std().item<double>(), kInitStd, 0.0008);
      const double beyond = l.weight.abs().gt(2 * kInitStd).to(torch::kDouble).mean().item<double>();
      EXPECT_NEAR(beyond, 0.0455, 0.012);
    }
    if (l.bias.defined()) {
      EXPECT_EQ(l.bias.abs().max().item<double>(), 0.0);
    }
  }
  // Resolved without the key (a config stored before model.init existed) trains the same way.
  auto legacy_config = sequence_config("trunc_normal", "kv_attention");
  legacy_config["model"].erase("init");
  torch::manual_seed(0);
  auto legacy = build_model(legacy_config);
  auto a = model->parameters(), b = legacy->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i].equal(b[i]));
  }
}

TEST(ModelInit, PytorchGivesEveryLinearAndConvTheFrameworkDefault) {
  for (const std::string mixer : {"attention", "kv_attention"}) {
    torch::manual_seed(1);
    auto model = build_model(sequence_config("pytorch", mixer));
    const auto layers = conv_linear_layers(*model);
    ASSERT_GE(layers.size(), 7u);
    for (const auto& l : layers) {
      SCOPED_TRACE(mixer + " " + l.name);
      const double bound = 1.0 / std::sqrt(double(l.fan_in));
      EXPECT_LE(l.weight.abs().max().item<double>(), bound + 1e-7);
      EXPECT_GT(l.weight.abs().max().item<double>(), 0.95 * bound);  // uniform reaches its bound
      if (l.weight.numel() >= 4096) {
        EXPECT_NEAR(l.weight.std().item<double>(), bound / std::sqrt(3.0), 0.1 * bound);
      }
      if (l.bias.defined()) {
        EXPECT_LE(l.bias.abs().max().item<double>(), bound + 1e-7);
        EXPECT_GT(l.bias.abs().max().item<double>(), 0.0);
      }
    }
    // Not a Linear or a conv: untouched (the embedding stays N(0, 1), the norms 1 and 0).
    for (const auto& p : model->named_parameters()) {
      if (p.key() == "embed.weight") {
        EXPECT_NEAR(p.value().std().item<double>(), 1.0, 0.15);
      }
      if (p.key().find("norm") != std::string::npos && p.key().find("weight") != std::string::npos) {
        EXPECT_TRUE(p.value().eq(1).all().item<bool>()) << p.key();
      }
    }
  }
}

TEST(ModelInit, ImageModelsTakeTheSchemeToo) {
  torch::manual_seed(2);
  auto model = build_model(test::make_config({{"task.dataset", "synthetic-images"},
                                              {"task.image_size", 16},
                                              {"model.depths", {1, 1}},
                                              {"model.dims", {32, 64}},
                                              {"model.mixers", "pool"},
                                              {"model.init", "pytorch"}}));
  const auto layers = conv_linear_layers(*model);
  ASSERT_GE(layers.size(), 5u);  // stem, downsample, 2 × (fc1, fc2), head
  for (const auto& l : layers) {
    SCOPED_TRACE(l.name);
    const double bound = 1.0 / std::sqrt(double(l.fan_in));
    EXPECT_LE(l.weight.abs().max().item<double>(), bound + 1e-7);
    EXPECT_GT(l.weight.abs().max().item<double>(), 0.95 * bound);  // uniform reaches its bound
  }
  nlohmann::json bad = test::make_config(
      {{"model.arch", "sequence"}, {"task.dataset", "reverse"}, {"model.dims", {8}}, {"model.depths", {1}}});
  bad["model"]["init"] = "xavier";  // not one of trunc_normal, pytorch, poolformer
  EXPECT_THROW(build_model(bad), std::invalid_argument);
}

// The bounds of trunc_normal_ are absolute, as timm's a and b: N(0, 1) cut at ±2 has std
// sqrt(1 - 2·2·φ(2)/(Φ(2) - Φ(-2))) = 0.8796; cut at [-1, 3], mean φ(-1) - φ(3) over the mass.
TEST(ModelInit, TruncNormalCutsAtAbsoluteBounds) {
  torch::manual_seed(3);
  torch::Tensor t = torch::empty({400000});
  trunc_normal_(t, 1.0, -2.0, 2.0);
  EXPECT_LE(t.abs().max().item<double>(), 2.0);
  EXPECT_NEAR(t.std().item<double>(), 0.8796, 0.004);
  trunc_normal_(t, 1.0, -1.0, 3.0);
  EXPECT_GE(t.min().item<double>(), -1.0);
  EXPECT_LE(t.max().item<double>(), 3.0);
  const auto phi = [](double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI); };
  const auto cdf = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  EXPECT_NEAR(t.mean().item<double>(), (phi(-1) - phi(3)) / (cdf(3) - cdf(-1)), 0.005);
}

// model.init: poolformer is PoolFormer's code (models/poolformer.py): trunc_normal(0.02) for every
// nn.Linear (the head) and the MLP's 1×1 convs; the PatchEmbed convs (stem and downsamplings)
// keep nn.Conv2d's default, kaiming-uniform with a = √5 = U(±1/√fan_in), and uniform biases.
// trunc_normal is MetaFormer's code (metaformer_baselines.py): every conv and linear, stem too.
TEST(ModelInit, PoolFormerKeepsPytorchsDefaultForItsPatchEmbedsAndMetaFormerDoesNot) {
  for (const std::string scheme : {"poolformer", "trunc_normal"}) {
  torch::manual_seed(4);
  auto model = build_model(test::make_config({{"task.dataset", "synthetic-images"},
                                              {"task.image_size", 32},
                                              {"model.depths", {1, 1}},
                                              {"model.dims", {64, 128}},
                                              {"model.mixers", "pool"},
                                              {"model.init", scheme}}));
  int patch_embeds = 0, trunc = 0;
  for (const auto& l : conv_linear_layers(*model)) {
    SCOPED_TRACE(scheme + " " + l.name);
    const bool patch_embed = scheme == "poolformer" && (l.name == "stem" || l.name.rfind("downsample", 0) == 0);
    if (patch_embed) {
      ++patch_embeds;
      const double bound = 1.0 / std::sqrt(double(l.fan_in));
      EXPECT_LE(l.weight.abs().max().item<double>(), bound + 1e-7);
      EXPECT_GT(l.weight.abs().max().item<double>(), 0.95 * bound);
      if (l.weight.numel() >= 4096) {
        EXPECT_NEAR(l.weight.std().item<double>(), bound / std::sqrt(3.0), 0.05 * bound);
      }
      ASSERT_TRUE(l.bias.defined());
      EXPECT_GT(l.bias.abs().max().item<double>(), 0.0);
      EXPECT_LE(l.bias.abs().max().item<double>(), bound + 1e-7);
    } else {
      ++trunc;
      if (l.weight.numel() >= 4096) {
        EXPECT_NEAR(l.weight.std().item<double>(), kInitStd, 0.001);
      }
      if (l.bias.defined()) {
        EXPECT_EQ(l.bias.abs().max().item<double>(), 0.0);
      }
    }
  }
  EXPECT_EQ(patch_embeds, scheme == "poolformer" ? 2 : 0);  // the stem and one downsampling
  EXPECT_GE(trunc, 5);                                      // 2 × (fc1, fc2) + head
  }
}

}  // namespace
}  // namespace ms
