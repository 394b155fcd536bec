// fourier token mixer (FNet): the real part of the 2-D FFT over the token grid (H, W); a
// sequence's H = 1 makes it the 1-D FFT over positions. No parameters, no causal form.
#include "worker/mixers/registry.h"

namespace ms {
namespace {

class FourierMixerImpl : public MixerImpl {
 public:
  torch::Tensor forward(const torch::Tensor& x) override {
    // FFT kernels want fp32 or wider; under bf16 autocast compute in fp32 and cast back.
    auto xf = x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble ? x : x.to(torch::kFloat);
    auto y = torch::real(torch::fft::fft2(xf, c10::nullopt, {-2, -1}));
    return y.scalar_type() == x.scalar_type() ? y : y.to(x.scalar_type());
  }
};

}  // namespace

std::shared_ptr<MixerImpl> make_fourier_mixer(const MixerContext& c) {
  if (c.causal) throw std::invalid_argument("the fourier mixer has no causal form");
  return std::make_shared<FourierMixerImpl>();
}

MixerCost fourier_mixer_cost(const MixerContext& c) {
  if (c.causal) throw std::invalid_argument("the fourier mixer has no causal form");
  return {};  // no weights; FFTs are not counted (fvcore)
}

}  // namespace ms
