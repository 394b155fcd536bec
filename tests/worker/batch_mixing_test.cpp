// Mixup and CutMix against their definitions (timm's Mixup, 'batch' mode): Beta(α, α) moments and
// CDF over many draws, the mix_prob and switch decisions, rand_bbox on hand-computed boxes, mixed
// pixels and soft targets element by element, the soft-target loss equal to smoothed
// cross-entropy when nothing is mixed, and a training run that mixes (its train loss rises, its
// test accuracy still learns).
#include "worker/data/batch_mixing.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/worker/model_test_util.h"
#include "worker/train/trainer.h"
#include "worker/train/trainer_loss.h"

namespace ms {
namespace {

struct Uniforms {
  std::mt19937_64 rng{12345};
  double operator()() { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
};

TEST(BatchMixing, BetaMomentsAndDistribution) {
  Uniforms u;
  const std::function<double()> f = std::ref(u);
  constexpr int kDraws = 20000;
  for (double alpha : {0.2, 0.8, 1.0, 4.0}) {
    double sum = 0, sq = 0;
    int below[9] = {};
    for (int i = 0; i < kDraws; ++i) {
      const double v = sample_beta(alpha, f);
      ASSERT_GE(v, 0.0);
      ASSERT_LE(v, 1.0);
      sum += v, sq += v * v;
      for (int d = 0; d < 9; ++d) below[d] += v < (d + 1) / 10.0;
    }
    const double mean = sum / kDraws, var = sq / kDraws - mean * mean;
    const double want_var = 1.0 / (4.0 * (2.0 * alpha + 1.0));  // Var Beta(a, a)
    EXPECT_NEAR(mean, 0.5, 5 * std::sqrt(want_var / kDraws)) << "alpha " << alpha;
    EXPECT_NEAR(var, want_var, 0.01) << "alpha " << alpha;
    if (alpha == 1.0) {  // Beta(1, 1) is uniform: deciles within 5 sigma of a binomial
      for (int d = 0; d < 9; ++d) EXPECT_NEAR(below[d] / double(kDraws), (d + 1) / 10.0, 0.02) << "decile " << d;
    }
  }
  EXPECT_THROW(sample_beta(0.0, f), std::invalid_argument);
}

TEST(BatchMixing, ProbabilityAndSwitchDecisions) {
  Uniforms u;
  const std::function<double()> f = std::ref(u);
  constexpr int kDraws = 20000;
  MixOptions both{0.8, 1.0, 1.0, 0.5};
  int cutmix = 0;
  for (int i = 0; i < kDraws; ++i) {
    const MixDraw d = draw_mix(both, 32, 32, f);
    ASSERT_NE(d.kind, MixKind::None);
    cutmix += d.kind == MixKind::Cutmix;
  }
  EXPECT_NEAR(cutmix / double(kDraws), 0.5, 0.02);  // 5 sigma = 0.018
  MixOptions sometimes{0.8, 0.0, 0.3, 0.5};
  int none = 0;
  for (int i = 0; i < kDraws; ++i) {
    const MixDraw d = draw_mix(sometimes, 32, 32, f);
    ASSERT_NE(d.kind, MixKind::Cutmix);
    if (d.kind == MixKind::None) {
      ++none;
      EXPECT_EQ(d.lam, 1.0);
    }
  }
  EXPECT_NEAR(none / double(kDraws), 0.7, 0.02);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(draw_mix({0.0, 1.0, 1.0, 0.5}, 8, 8, f).kind, MixKind::Cutmix);
    EXPECT_EQ(draw_mix({0.0, 0.0, 1.0, 0.5}, 8, 8, f).kind, MixKind::None);
  }
  // The same training step draws the same on a resumed run; other steps differ.
  const MixDraw a = draw_mix_for_step(both, 32, 32, 7, 2, 5), b = draw_mix_for_step(both, 32, 32, 7, 2, 5);
  EXPECT_EQ(a.lam, b.lam);
  EXPECT_EQ(a.top, b.top);
  EXPECT_NE(a.lam, draw_mix_for_step(both, 32, 32, 7, 2, 6).lam);
  // Each rank of a group draws its own, as each GPU does in timm; one rank draws as before.
  EXPECT_EQ(draw_mix_for_step(both, 32, 32, 7, 2, 5, 0, 1).lam, a.lam);
  EXPECT_NE(draw_mix_for_step(both, 32, 32, 7, 2, 5, 0, 8).lam, draw_mix_for_step(both, 32, 32, 7, 2, 5, 1, 8).lam);
  // Over many steps at 8 ranks: a step's share of CutMix images has timm's spread, sd
  // sqrt(0.25 / 8) = 0.18 (with one draw for all ranks it would be 0.5), and each rank is fair.
  double sum = 0, sum2 = 0;
  const int steps = 4000;
  for (int step = 0; step < steps; ++step) {
    int cut = 0;
    for (int r = 0; r < 8; ++r) cut += draw_mix_for_step(both, 32, 32, 7, 1, step, r, 8).kind == MixKind::Cutmix;
    sum += cut / 8.0, sum2 += (cut / 8.0) * (cut / 8.0);
  }
  const double mean = sum / steps, sd = std::sqrt(sum2 / steps - mean * mean);
  EXPECT_NEAR(mean, 0.5, 0.015);  // 5 sigma: 5 × 0.18 / sqrt(4000)
  EXPECT_NEAR(sd, std::sqrt(0.25 / 8), 0.015);
}

TEST(BatchMixing, CutmixBoxIsTimmsRandBbox) {
  // H = W = 32, lam 0.75: sides int(32 · 0.5) = 16, box rows [10-8, 10+8), columns [3-8, 3+8) clipped.
  MixDraw d = cutmix_box(32, 32, 0.75, 10, 3);
  EXPECT_EQ(d.top, 2);
  EXPECT_EQ(d.height, 16);
  EXPECT_EQ(d.left, 0);
  EXPECT_EQ(d.width, 11);
  EXPECT_DOUBLE_EQ(d.lam, 1.0 - 16.0 * 11.0 / 1024.0);
  // 20 × 10, lam 0.19: sqrt(0.81) = 0.9 → 18 rows and 9 columns (odd: [c - 4, c + 4) is 8 wide).
  d = cutmix_box(20, 10, 0.19, 19, 5);
  EXPECT_EQ(d.top, 10);
  EXPECT_EQ(d.height, 10);
  EXPECT_EQ(d.left, 1);
  EXPECT_EQ(d.width, 8);
  EXPECT_DOUBLE_EQ(d.lam, 1.0 - 80.0 / 200.0);
  d = cutmix_box(16, 16, 1.0, 4, 4);  // nothing cut
  EXPECT_EQ(d.height * d.width, 0);
  EXPECT_DOUBLE_EQ(d.lam, 1.0);
  // Every drawn box lies inside the image and its lambda is its uncovered fraction.
  Uniforms u;
  const std::function<double()> f = std::ref(u);
  for (int i = 0; i < 2000; ++i) {
    const MixDraw r = draw_mix({0.0, 1.0, 1.0, 0.5}, 24, 17, f);
    ASSERT_GE(r.top, 0);
    ASSERT_GE(r.left, 0);
    ASSERT_LE(r.top + r.height, 24);
    ASSERT_LE(r.left + r.width, 17);
    ASSERT_DOUBLE_EQ(r.lam, 1.0 - r.height * r.width / (24.0 * 17.0));
  }
}

TEST(BatchMixing, MixedPixelsAndSoftTargets) {
  torch::manual_seed(3);
  const auto x = torch::rand({4, 2, 6, 5});
  const auto before = x.clone();
  const auto labels = torch::tensor({0, 1, 2, 1}, torch::kInt64);
  const double eps = 0.1, off = eps / 3, on = 1 - eps + off;
  MixDraw mixup;
  mixup.kind = MixKind::Mixup, mixup.lam = 0.7;
  MixedBatch m = mix_batch(x, labels, 3, eps, mixup);
  EXPECT_TRUE(torch::equal(x, before));  // the input is not touched
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(torch::allclose(m.x[i], 0.7 * x[i] + 0.3 * x[3 - i], 1e-6, 1e-6)) << i;
  // Row 0: label 0 with weight 0.7, its partner (row 3) label 1 with 0.3.
  EXPECT_NEAR(m.targets[0][0].item<double>(), 0.7 * on + 0.3 * off, 1e-6);
  EXPECT_NEAR(m.targets[0][1].item<double>(), 0.7 * off + 0.3 * on, 1e-6);
  EXPECT_NEAR(m.targets[0][2].item<double>(), off, 1e-6);
  EXPECT_TRUE(torch::allclose(m.targets.sum(1), torch::ones({4}), 1e-6, 1e-6));

  const MixDraw box =
      cutmix_box(6, 5, 0.6, 2, 2);  // sides int(6·0.63) = 3 and int(5·0.63) = 3: rows and columns [1, 3)
  m = mix_batch(x, labels, 3, 0.0, box);
  for (int i = 0; i < 4; ++i)
    for (int r = 0; r < 6; ++r)
      for (int c = 0; c < 5; ++c) {
        const bool inside = r >= box.top && r < box.top + box.height && c >= box.left && c < box.left + box.width;
        const int from = inside ? 3 - i : i;
        ASSERT_TRUE(torch::equal(m.x[i].select(1, r).select(1, c), x[from].select(1, r).select(1, c)));
      }
  // Row 1 (label 1) took its box from row 2 (label 2).
  EXPECT_NEAR(m.targets[1][1].item<double>(), box.lam, 1e-6);
  EXPECT_NEAR(m.targets[1][2].item<double>(), 1 - box.lam, 1e-6);
  EXPECT_DOUBLE_EQ(box.lam, 1.0 - 4.0 / 30.0);
}

TEST(BatchMixing, SoftTargetLossIsSmoothedCrossEntropyWhenUnmixed) {
  torch::manual_seed(4);
  const auto logits = torch::randn({5, 7});
  const auto labels = torch::tensor({0, 6, 3, 3, 1}, torch::kInt64);
  for (double eps : {0.0, 0.1}) {
    const MixedBatch m = mix_batch(torch::zeros({5, 1, 2, 2}), labels, 7, eps, MixDraw{});
    EXPECT_NEAR(smoothed_cross_entropy_sum(logits, m.targets, eps).item<double>(),
                smoothed_cross_entropy_sum(logits, labels, eps).item<double>(), 1e-4);
  }
  EXPECT_EQ(loss_terms(labels), 5);
  EXPECT_EQ(loss_terms(smoothed_one_hot(labels, 7, 0.0)), 5);
  EXPECT_EQ(loss_terms(torch::zeros({3, 4}, torch::kInt64)), 12);  // tokens
}

// The PoolFormer recipe's mixing on a tiny job: the targets are soft, so the train loss stays
// above the unmixed run's, and the model still learns the classes (chance 0.25).
TEST(BatchMixing, TrainingWithMixupAndCutmixLearns) {
  auto job = [](double mixup, double cutmix) {
    return test::tiny_image_job({{"task.train_size", 512},
                                 {"task.test_size", 128},
                                 {"task.augment.mixup", mixup},
                                 {"task.augment.cutmix", cutmix}});
  };
  TrainOptions o;
  o.threads = 1;
  const TrainOutcome plain = train_job(job(0, 0), 0, o), mixed = train_job(job(0.8, 1.0), 0, o);
  ASSERT_EQ(plain.status, JobStatus::Done);
  ASSERT_EQ(mixed.status, JobStatus::Done);
  std::printf("train loss plain %.4f mixed %.4f; test acc plain %.4f mixed %.4f\n", plain.epochs.back().train_loss,
              mixed.epochs.back().train_loss, plain.epochs.back().test_acc, mixed.epochs.back().test_acc);
  EXPECT_GT(mixed.epochs.back().train_loss, plain.epochs.back().train_loss + 0.1);
  EXPECT_GT(mixed.epochs.back().test_acc, 0.5);
}

}  // namespace
}  // namespace ms
