// sepconv token mixer (ConvFormer's inverted separable conv): pointwise C→2C, StarReLU,
// depthwise 7×7, pointwise 2C→C, all without bias: 4C² + 49·2C + 2 params. Sequences use a
// 1×7 kernel; the causal form pads 6 positions on the left only.
#include "worker/mixers/registry.h"
#include "worker/models/activations.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {
namespace {

constexpr int64_t kSepKernel = 7;

class SepConvMixerImpl : public MixerImpl {
 public:
  explicit SepConvMixerImpl(const MixerContext& c) : causal_(c.causal) {
    const int64_t hidden = 2 * c.dim, kh = c.sequence() ? 1 : kSepKernel;
    pw1_ = register_module("pwconv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.dim, hidden, 1).bias(false)));
    act_ = register_module("act", Activation("starrelu"));
    dw_weight_ = register_parameter("dwconv_weight", torch::empty({hidden, 1, kh, kSepKernel}));
    pw2_ = register_module("pwconv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(hidden, c.dim, 1).bias(false)));
    trunc_normal_(dw_weight_);
    init_conv_linear(*this);
    padding_ = causal_ ? std::vector<int64_t>{0, 0} : std::vector<int64_t>{kh / 2, kSepKernel / 2};
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    auto h = act_->forward(counted::conv2d(x, pw1_));
    if (causal_) h = torch::constant_pad_nd(h, {kSepKernel - 1, 0});
    h = counted::depthwise_conv2d(h, dw_weight_, {}, padding_);
    return counted::conv2d(h, pw2_);
  }

 private:
  bool causal_;
  std::vector<int64_t> padding_;
  torch::nn::Conv2d pw1_{nullptr}, pw2_{nullptr};
  Activation act_{nullptr};
  torch::Tensor dw_weight_;
};

}  // namespace

std::shared_ptr<MixerImpl> make_sepconv_mixer(const MixerContext& c) { return std::make_shared<SepConvMixerImpl>(c); }

MixerCost sepconv_mixer_cost(const MixerContext& c) {
  const int64_t hidden = 2 * c.dim, taps = (c.sequence() ? 1 : kSepKernel) * kSepKernel, n = c.tokens();
  // two pointwise convs without bias, StarReLU's two scalars, the depthwise kernel
  return {2 * c.dim * hidden + 2 + hidden * taps, 0, 2 * n * c.dim * hidden + n * hidden * taps};
}

}  // namespace ms
