// dwconv token mixer: depthwise k×k convolution with bias (k = pool_size), k²C + C params.
// Sequences use a 1×k kernel; the causal form pads k-1 positions on the left only.
#include "worker/mixers/registry.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {
namespace {

class DwConvMixerImpl : public MixerImpl {
 public:
  explicit DwConvMixerImpl(const MixerContext& c) : k_(c.pool_size), causal_(c.causal) {
    const int64_t kh = c.sequence() ? 1 : k_;
    weight_ = register_parameter("weight", torch::empty({c.dim, 1, kh, k_}));
    bias_ = register_parameter("bias", torch::zeros({c.dim}));
    trunc_normal_(weight_);
    padding_ = causal_ ? std::vector<int64_t>{0, 0} : std::vector<int64_t>{kh / 2, k_ / 2};
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    if (causal_) return counted::depthwise_conv2d(torch::constant_pad_nd(x, {k_ - 1, 0}), weight_, bias_, padding_);
    return counted::depthwise_conv2d(x, weight_, bias_, padding_);
  }

 private:
  int64_t k_;
  bool causal_;
  std::vector<int64_t> padding_;
  torch::Tensor weight_, bias_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_dwconv_mixer(const MixerContext& c) { return std::make_shared<DwConvMixerImpl>(c); }

MixerCost dwconv_mixer_cost(const MixerContext& c) {
  const int64_t taps = (c.sequence() ? 1 : c.pool_size) * c.pool_size;
  return {c.dim * taps + c.dim, 0, c.tokens() * c.dim * taps};
}

}  // namespace ms
