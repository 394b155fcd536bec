// Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) as DeiT and PoolFormer train with them:
// timm's Mixup in its 'batch' mode. Per batch, with probability mix_prob the batch is mixed;
// with both on, CutMix is chosen with probability `switch_prob`, else Mixup; lambda ~ Beta(α, α)
// of the chosen one. Mixup blends each image with its partner, the batch reversed
// (lam·x + (1-lam)·x.flip(0)); CutMix pastes the partner's pixels into a box of area fraction
// about 1-lam (timm's rand_bbox: sides of the image's sides times sqrt(1-lam), a uniform centre,
// clipped), and lambda becomes 1 - the box's true area fraction. Targets become soft: the
// label-smoothed one-hot rows mixed with the same lambda, and the loss is the cross-entropy
// against them (trainer_loss.h takes either kind of target).
//
// The draws for a step come from SplitMix64(order_stream(seed, epoch, tag, step × ranks + rank)):
// each rank of a data-parallel group mixes its share of the global batch with its own lambda and
// box, as each GPU draws its own in timm (DeiT and PoolFormer seed each rank apart), so the share of
// CutMix images in a step varies as it does there; one rank draws per step, and a resumed run
// repeats the draws. Partners are taken within each rank's share (timm's per-GPU batch reversed;
// in an odd share the middle image is its own partner and stays unmixed, where timm requires an
// even batch): a mixed run is exactly reproducible for a given number of ranks, not across rank
// counts.
#pragma once
#include <cstdint>
#include <functional>

#include <torch/torch.h>

namespace ms {

struct MixOptions {
  double mixup_alpha = 0, cutmix_alpha = 0;  // 0: that kind is off
  double mix_prob = 1.0, switch_prob = 0.5;
  bool enabled() const { return mixup_alpha > 0 || cutmix_alpha > 0; }
};

enum class MixKind { None, Mixup, Cutmix };

struct MixDraw {
  MixKind kind = MixKind::None;
  double lam = 1.0;                              // weight of each image's own content and label
  int top = 0, left = 0, height = 0, width = 0;  // CutMix: the box taken from the partner
};

// Beta(alpha, alpha) from uniforms (Marsaglia-Tsang gamma variates, Box-Muller normals).
double sample_beta(double alpha, const std::function<double()>& uniform01);

// One batch's parameters for images of height × width, in timm's order of decisions: the
// mix_prob test, the switch test (both kinds on), lambda, then the box centre (row, column).
MixDraw draw_mix(const MixOptions& options, int height, int width, const std::function<double()>& uniform01);

// timm's rand_bbox for a given lambda and box centre (row cy, column cx): sides int(side ·
// sqrt(1 - lam)), the box [c - cut/2, c + cut/2) clipped to the image, lambda corrected to
// 1 - box area / image area.
MixDraw cutmix_box(int height, int width, double lam, int cy, int cx);

// The draw of a training step for `rank` of `ranks` (see the top of this file).
MixDraw draw_mix_for_step(const MixOptions& options, int height, int width, int64_t seed, int64_t epoch, int64_t step,
                          int rank = 0, int ranks = 1);

// Label-smoothed one-hot targets (N×classes, float): 1 - smoothing + smoothing/classes at the
// label, smoothing/classes elsewhere.
torch::Tensor smoothed_one_hot(const torch::Tensor& labels, int64_t classes, double smoothing);

// The mixed batch and its soft targets. x: N×C×H×W (not modified); labels: N int64.
struct MixedBatch {
  torch::Tensor x, targets;
};
MixedBatch mix_batch(const torch::Tensor& x, const torch::Tensor& labels, int64_t classes, double smoothing,
                     const MixDraw& draw);

}  // namespace ms
