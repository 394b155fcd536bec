// Token-mixer tests: shapes, hand-computed cases, causality of the sequence forms, gradients
// to every trainable parameter, frozen parameters staying frozen, the fused and plain
// attention paths agreeing, and MAC counts from shapes.
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "tests/worker/model_test_util.h"
#include "worker/mixers/attention_core.h"
#include "worker/mixers/registry.h"
#include "worker/models/mac_counter.h"

namespace ms {
namespace {

MixerContext image_context(int64_t dim = 16, int64_t side = 4) {
  MixerContext c;
  c.dim = dim, c.heads = 2, c.head_dim = dim / 2, c.pool_size = 3, c.height = side, c.width = side;
  return c;
}

MixerContext sequence_context(bool causal, int64_t length = 10, int64_t dim = 8) {
  MixerContext c;
  c.dim = dim, c.heads = 2, c.head_dim = dim / 2, c.pool_size = 3, c.height = 1, c.width = length;
  c.causal = causal;
  return c;
}

torch::Tensor param(MixerImpl& m, const std::string& name) {
  auto named = m.named_parameters();
  EXPECT_TRUE(named.contains(name)) << name;
  return named[name];
}

TEST(Mixer, EveryMixerKeepsTheShape) {
  for (const auto& name : test::all_mixers()) {
    auto mixer = make_mixer(name, image_context());
    auto y = mixer->forward(torch::randn({2, 16, 4, 4}));
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 16, 4, 4})) << name;
    auto seq = make_mixer(name, sequence_context(false));
    EXPECT_EQ(seq->forward(torch::randn({3, 8, 1, 10})).sizes(), (std::vector<int64_t>{3, 8, 1, 10})) << name;
    EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << name;
  }
}

TEST(Mixer, UnknownNameListsKnownMixers) {
  try {
    make_mixer("poool", image_context());
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("poool"), std::string::npos);
    for (const auto& name : test::all_mixers()) {
      EXPECT_NE(what.find(name), std::string::npos) << name;
    }
  }
}

TEST(Mixer, PoolSubtractsInputOnThreeByThree) {
  auto mixer = make_mixer("pool", image_context(1, 3));
  auto x = torch::arange(1, 10, torch::kFloat).view({1, 1, 3, 3});
  // Averages over the in-image part of each 3×3 window (padding excluded), minus x.
  auto expected = torch::tensor({2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, -1.5, -2.0}).view({1, 1, 3, 3});
  EXPECT_TRUE(torch::allclose(mixer->forward(x), expected)) << mixer->forward(x);
}

TEST(Mixer, CausalPoolAveragesThePastOnly) {
  auto mixer = make_mixer("pool", sequence_context(true, 4, 1));
  auto x = torch::tensor({1.0, 2.0, 3.0, 4.0}).view({1, 1, 1, 4});
  // Means of {1}, {1,2}, {1,2,3}, {2,3,4} minus x.
  auto expected = torch::tensor({0.0, -0.5, -1.0, -1.0}).view({1, 1, 1, 4});
  EXPECT_TRUE(torch::allclose(mixer->forward(x), expected)) << mixer->forward(x);
}

TEST(Mixer, CausalFormsIgnoreFutureTokens) {
  for (const auto& entry : mixer_registry()) {
    if (!entry.traits.causal_ok) continue;
    torch::manual_seed(1);
    auto mixer = entry.make(sequence_context(true));
    {
      torch::NoGradGuard no_grad;  // untrained init is near-degenerate for some mixers
      for (auto& p : mixer->parameters())
        if (p.requires_grad()) p.add_(torch::randn_like(p) * 0.1);
    }
    auto x = torch::randn({2, 8, 1, 10});
    auto x2 = x.clone();
    x2.select(3, 6).add_(torch::randn({2, 8, 1}));
    auto y = mixer->forward(x), y2 = mixer->forward(x2);
    EXPECT_TRUE(torch::allclose(y.narrow(3, 0, 6), y2.narrow(3, 0, 6), 1e-5, 1e-6)) << entry.traits.name;
    EXPECT_FALSE(torch::allclose(y.narrow(3, 6, 4), y2.narrow(3, 6, 4))) << entry.traits.name;
  }
}

TEST(Mixer, FourierHasNoCausalForm) {
  EXPECT_THROW(make_mixer("fourier", sequence_context(true)), std::invalid_argument);
}

TEST(Mixer, GradientReachesEveryTrainableParameter) {
  for (const auto& name : test::all_mixers()) {
    for (bool sequence : {false, true}) {
      if (sequence && !find_mixer_entry(name).traits.causal_ok) continue;
      torch::manual_seed(2);
      auto mixer = make_mixer(name, sequence ? sequence_context(true) : image_context());
      auto x = sequence ? torch::randn({2, 8, 1, 10}) : torch::randn({2, 16, 4, 4});
      x.requires_grad_(true);
      (mixer->forward(x) * torch::randn_like(x)).sum().backward();
      for (const auto& p : mixer->named_parameters()) {
        if (!p.value().requires_grad()) continue;
        ASSERT_TRUE(p.value().grad().defined()) << name << " " << p.key();
        // kv_pos_attention's b shifts whole softmax rows: its gradient is zero by design.
        if (p.key() == "b") continue;
        EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << name << " " << p.key();
      }
      EXPECT_GT(x.grad().abs().sum().item<double>(), 0.0) << name;
    }
  }
}

TEST(Mixer, RandomMatrixIsFrozenRowStochastic) {
  for (bool causal : {false, true}) {
    auto mixer = make_mixer("random", causal ? sequence_context(true) : image_context());
    auto matrix = param(*mixer, "matrix");
    EXPECT_FALSE(matrix.requires_grad());
    EXPECT_TRUE(torch::allclose(matrix.sum(1), torch::ones({matrix.size(0)})));
    if (causal) {
      EXPECT_EQ(matrix.triu(1).abs().sum().item<double>(), 0.0);
    }
    auto before = matrix.clone();
    auto x = causal ? torch::randn({2, 8, 1, 10}, torch::requires_grad())
                    : torch::randn({2, 16, 4, 4}, torch::requires_grad());
    mixer->forward(x).sum().backward();
    EXPECT_FALSE(matrix.grad().defined());
    EXPECT_TRUE(x.grad().defined());
    torch::optim::SGD sgd(mixer->parameters(), 1.0);
    sgd.step();
    EXPECT_TRUE(torch::equal(matrix, before));
  }
}

TEST(Mixer, GmlpStartsWithTheGateNearOne) {
  torch::manual_seed(3);
  auto mixer = make_mixer("gmlp", image_context());
  auto x = torch::randn({2, 16, 4, 4});
  auto w = param(*mixer, "proj.weight"), b = param(*mixer, "proj.bias");
  // gate = 1 exactly -> Proj(Z1).
  auto expected = torch::conv2d(x.narrow(1, 0, 8), w, b);
  auto y = mixer->forward(x);
  EXPECT_TRUE(torch::allclose(y, expected, 1e-2, 1e-3));
  EXPECT_TRUE(torch::allclose(param(*mixer, "spatial_bias"), torch::ones({16})));
  EXPECT_LE(param(*mixer, "spatial_weight").abs().max().item<double>(), 1e-3 / 16);
  torch::NoGradGuard no_grad;
  param(*mixer, "spatial_weight").zero_();
  EXPECT_TRUE(torch::allclose(mixer->forward(x), expected, 1e-5, 1e-6));
}

// softmax(K Kᵀ/√d) V by hand from the mixer's own K, V and output projections.
torch::Tensor kv_by_hand(MixerImpl& m, const torch::Tensor& x, int64_t heads) {
  auto t = x.flatten(2).transpose(1, 2);  // B×N×C
  auto k = torch::linear(t, param(m, "k.weight"), param(m, "k.bias"));
  auto v = torch::linear(t, param(m, "v.weight"), param(m, "v.bias"));
  const int64_t d = k.size(2) / heads;
  std::vector<torch::Tensor> outs;
  for (int64_t h = 0; h < heads; ++h) {
    auto kh = k.narrow(2, h * d, d), vh = v.narrow(2, h * d, d);
    auto scores = torch::bmm(kh, kh.transpose(1, 2)) / std::sqrt(static_cast<double>(d));
    outs.push_back(torch::bmm(torch::softmax(scores, -1), vh));
  }
  auto out = torch::linear(torch::cat(outs, 2), param(m, "proj.weight"), param(m, "proj.bias"));
  return out.transpose(1, 2).reshape(x.sizes());
}

TEST(Mixer, KvAttentionMatchesHandComputation) {
  torch::manual_seed(4);
  auto context = image_context();
  context.fused_attention = false;
  auto mixer = make_mixer("kv_attention", context);
  auto x = torch::randn({2, 16, 4, 4});
  EXPECT_TRUE(torch::allclose(mixer->forward(x), kv_by_hand(*mixer, x, 2), 1e-4, 1e-5));
  // Without queries the score matrix is symmetric.
  auto k = split_heads(torch::linear(to_tokens(x), param(*mixer, "k.weight"), param(*mixer, "k.bias")), 2);
  auto scores = attention_scores(k, k, {});
  EXPECT_TRUE(torch::allclose(scores, scores.transpose(-2, -1)));
}

TEST(Mixer, KvPosAttentionStartsAsKvAttention) {
  auto context = image_context();
  context.fused_attention = false;
  torch::manual_seed(5);
  auto kv = make_mixer("kv_attention", context);
  torch::manual_seed(5);
  auto kv_pos = make_mixer("kv_pos_attention", context);
  EXPECT_EQ(param(*kv_pos, "pos_table").numel(), 7 * 7);
  auto x = torch::randn({2, 16, 4, 4});
  EXPECT_TRUE(torch::allclose(kv->forward(x), kv_pos->forward(x), 1e-5, 1e-6));
  // A positional term breaks the tie: outputs move.
  torch::NoGradGuard no_grad;
  param(*kv_pos, "pos_table").normal_();
  EXPECT_FALSE(torch::allclose(kv->forward(x), kv_pos->forward(x), 1e-3, 1e-4));
}

TEST(Mixer, AttentionMatchesHandComputation) {
  torch::manual_seed(6);
  auto context = image_context();
  context.fused_attention = false;
  auto mixer = make_mixer("attention", context);
  auto x = torch::randn({2, 16, 4, 4});
  auto t = x.flatten(2).transpose(1, 2);
  auto qkv = torch::linear(t, param(*mixer, "qkv.weight"));
  std::vector<torch::Tensor> outs;
  for (int64_t h = 0; h < 2; ++h) {
    auto q = qkv.narrow(2, h * 8, 8), k = qkv.narrow(2, 16 + h * 8, 8), v = qkv.narrow(2, 32 + h * 8, 8);
    outs.push_back(torch::bmm(torch::softmax(torch::bmm(q, k.transpose(1, 2)) / std::sqrt(8.0), -1), v));
  }
  auto expected = torch::linear(torch::cat(outs, 2), param(*mixer, "proj.weight"), param(*mixer, "proj.bias"));
  EXPECT_TRUE(torch::allclose(mixer->forward(x), expected.transpose(1, 2).reshape(x.sizes()), 1e-4, 1e-5));
}

// LibTorch 2.x: the fused SDPA kernel and the plain softmax(QKᵀ/√d)V path (checked by hand above)
// agree to float tolerance. LibTorch 1.x has no fused kernel: asking for it must fall back to
// exactly the plain path, bit for bit.
TEST(Mixer, FusedAndPlainAttentionAgree) {
  const bool fused_exists = have_fused_attention();
  for (const char* name : {"attention", "kv_attention", "kv_pos_attention"}) {
    for (bool causal : {false, true}) {
      auto context = causal ? sequence_context(true) : image_context();
      context.fused_attention = true;
      torch::manual_seed(7);
      auto fused = make_mixer(name, context);
      context.fused_attention = false;
      torch::manual_seed(7);
      auto plain = make_mixer(name, context);
      {
        torch::NoGradGuard no_grad;
        auto fp = fused->parameters(), pp = plain->parameters();
        for (size_t i = 0; i < fp.size(); ++i) {
          if (fp[i].dim() == 1 && fp[i].numel() > 1) fp[i].normal_();  // exercise pos_table
          pp[i].copy_(fp[i]);
        }
      }
      auto x = causal ? torch::randn({2, 8, 1, 10}) : torch::randn({2, 16, 4, 4});
      const auto a = fused->forward(x), b = plain->forward(x);
      if (fused_exists) {
        EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5)) << name << " causal " << causal;
      } else {
        EXPECT_TRUE(torch::equal(a, b)) << name << " causal " << causal << ": no fused kernel, so the same path";
      }
    }
  }
}

TEST(Mixer, MacsFollowTheShapes) {
  const int64_t c = 16, n = 16;
  auto count = [](MixerImpl& m, const torch::Tensor& x) {
    torch::NoGradGuard no_grad;
    MacCountScope scope;
    m.forward(x);
    return scope.macs();
  };
  auto x = torch::randn({1, c, 4, 4});
  EXPECT_EQ(count(*make_mixer("pool", image_context()), x), 0);
  EXPECT_EQ(count(*make_mixer("fourier", image_context()), x), 0);
  EXPECT_EQ(count(*make_mixer("attention", image_context()), x), n * c * 3 * c + n * c * c + 2 * n * n * c);
  EXPECT_EQ(count(*make_mixer("kv_attention", image_context()), x), 3 * n * c * c + 2 * n * n * c);
  EXPECT_EQ(count(*make_mixer("spatial_fc", image_context()), x), n * n * c);
  EXPECT_EQ(count(*make_mixer("random", image_context()), x), n * n * c);
  EXPECT_EQ(count(*make_mixer("dwconv", image_context()), x), n * c * 9);
  EXPECT_EQ(count(*make_mixer("sepconv", image_context()), x), 2 * n * c * 2 * c + n * 2 * c * 49);
  EXPECT_EQ(count(*make_mixer("spatial_mlp", image_context()), x), 2 * c * n * (n / 2));
  EXPECT_EQ(count(*make_mixer("gmlp", image_context()), x), (c / 2) * n * n + n * (c / 2) * c);
}

TEST(Mixer, ParameterCountsFollowReference) {
  auto trainable = [](MixerImpl& m) {
    int64_t t = 0;
    for (const auto& p : m.parameters())
      if (p.requires_grad()) t += p.numel();
    return t;
  };
  const int64_t c = 16, n = 16;
  EXPECT_EQ(trainable(*make_mixer("identity", image_context())), 0);
  EXPECT_EQ(trainable(*make_mixer("attention", image_context())), 4 * c * c + c);
  EXPECT_EQ(trainable(*make_mixer("kv_attention", image_context())), 3 * c * c + 3 * c);
  EXPECT_EQ(trainable(*make_mixer("kv_pos_attention", image_context())), 3 * c * c + 3 * c + 7 * 7 + 2);
  EXPECT_EQ(trainable(*make_mixer("spatial_fc", image_context())), n * n);
  EXPECT_EQ(trainable(*make_mixer("spatial_mlp", image_context())), n * n + n / 2 + n);
  EXPECT_EQ(trainable(*make_mixer("gmlp", image_context())), n * n + n + c + (c / 2) * c + c);
  EXPECT_EQ(trainable(*make_mixer("dwconv", image_context())), 9 * c + c);
  EXPECT_EQ(trainable(*make_mixer("sepconv", image_context())), 4 * c * c + 49 * 2 * c + 2);
  EXPECT_EQ(trainable(*make_mixer("random", image_context())), 0);
  EXPECT_EQ(trainable(*make_mixer("fourier", image_context())), 0);
}

}  // namespace
}  // namespace ms
