// pool token mixer (PoolFormer): AvgPool_k(X) - X, stride 1, padding k//2, padded cells
// excluded from the average. Sequences pool over a 1×k window; the causal form averages the
// last k positions (fewer at the start) and subtracts X.
#include "mixers/registry.h"

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
    return torch::avg_pool2d(x, {kh, k_}, {1, 1}, {kh / 2, k_ / 2}, false, /*count_include_pad=*/false) - x;
  }

 private:
  int64_t k_;
  bool causal_, sequence_;
  torch::Tensor rescale_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_pool_mixer(const MixerContext& c) { return std::make_shared<PoolMixerImpl>(c); }

}  // namespace ms
