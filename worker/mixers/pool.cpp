// pool token mixer (PoolFormer): AvgPool_k(X) - X, stride 1, padding k//2, padded cells
// excluded from the average. Sequences pool over a 1×k window; the causal form averages the
// last k positions (fewer at the start) and subtracts X.
//
// Speed: the non-causal average is computed as a depthwise convolution with a kernel of ones
// (the window sums, oneDNN) times a per-position 1/count map: about 3× faster forward+backward
// than LibTorch 1.13's avg_pool2d(count_include_pad=false) on NCHW, equal up to float rounding
// (~1 ulp). The ones kernel and the count map depend only on the geometry, the device and the
// dtype: they are built on first use and cached, never registered (the state dict is unchanged).
#include "worker/mixers/registry.h"

namespace ms {
namespace {

class PoolMixerImpl : public MixerImpl {
 public:
  explicit PoolMixerImpl(const MixerContext& c) : k_(c.pool_size), causal_(c.causal), sequence_(c.sequence()) {
    if (causal_) {
      // k / (number of real positions in the window ending at i): turns a zero-padded sum / k
      // into the average over real positions only.
      auto counts = torch::clamp_max(torch::arange(1, c.width + 1, torch::kFloat), static_cast<double>(k_));
      rescale_ = register_buffer("rescale", (static_cast<double>(k_) / counts).view({1, 1, 1, c.width}));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    if (causal_) {
      auto padded = torch::constant_pad_nd(x, {k_ - 1, 0});
      auto avg = torch::avg_pool2d(padded, {1, k_}, {1, 1}, {0, 0}, false, /*count_include_pad=*/true);
      return avg * rescale_.to(x.dtype()) - x;
    }
    const int64_t kh = sequence_ ? 1 : k_;
    if (x.dim() != 4 || !x.is_floating_point())
      return torch::avg_pool2d(x, {kh, k_}, {1, 1}, {kh / 2, k_ / 2}, false, /*count_include_pad=*/false) - x;
    refresh_window(x, kh);
    auto sums = torch::conv2d(x, ones_, {}, /*stride=*/1, {kh / 2, k_ / 2}, /*dilation=*/1, /*groups=*/x.size(1));
    return sums * inv_count_ - x;
  }

 private:
  // (Re)builds the C×1×kh×k ones kernel and the 1×1×H×W map of 1/(real cells in the window).
  void refresh_window(const torch::Tensor& x, int64_t kh) {
    if (ones_.defined() && ones_.size(0) == x.size(1) && inv_count_.size(2) == x.size(2) &&
        inv_count_.size(3) == x.size(3) && ones_.device() == x.device() && ones_.dtype() == x.dtype())
      return;
    torch::NoGradGuard no_grad;
    auto opts = x.options().requires_grad(false);
    ones_ = torch::ones({x.size(1), 1, kh, k_}, opts);
    auto count = torch::conv2d(torch::ones({1, 1, x.size(2), x.size(3)}, opts), torch::ones({1, 1, kh, k_}, opts), {},
                               1, {kh / 2, k_ / 2});
    inv_count_ = count.reciprocal();
  }

  int64_t k_;
  bool causal_, sequence_;
  torch::Tensor rescale_;
  torch::Tensor ones_, inv_count_;  // caches for the non-causal form (not part of the state)
};

}  // namespace

std::shared_ptr<MixerImpl> make_pool_mixer(const MixerContext& c) { return std::make_shared<PoolMixerImpl>(c); }

MixerCost pool_mixer_cost(const MixerContext&) { return {}; }  // no weights; pooling is not counted

}  // namespace ms
