// identity token mixer: returns X. The MetaFormer block then reduces to norm + channel MLP,
// the PoolFormer paper's lower bound on what the token mixer contributes.
#include "worker/mixers/registry.h"

namespace ms {
namespace {

class IdentityMixerImpl : public MixerImpl {
 public:
  torch::Tensor forward(const torch::Tensor& x) override { return x; }
};

}  // namespace

std::shared_ptr<MixerImpl> make_identity_mixer(const MixerContext&) { return std::make_shared<IdentityMixerImpl>(); }

MixerCost identity_mixer_cost(const MixerContext&) { return {}; }

}  // namespace ms
