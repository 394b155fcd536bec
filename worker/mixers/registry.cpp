// The mixer list (see registry.h). One line per mixer:
//   {name, fixed_tokens, causal_ok, uses_heads, summary, uses_pool_size}, factory, cost formula
#include "worker/mixers/registry.h"

#include <stdexcept>

namespace ms {

const std::vector<MixerEntry>& mixer_registry() {
  static const std::vector<MixerEntry> registry = {
      {{"identity", false, true, false, "X (no mixing)"}, make_identity_mixer, identity_mixer_cost},
      {{"pool", false, true, false, "AvgPool_k(X) - X (PoolFormer)", true}, make_pool_mixer, pool_mixer_cost},
      {{"attention", false, true, true, "softmax(QK^T/sqrt(d))V, heads, output projection"},
       make_attention_mixer,
       attention_mixer_cost},
      {{"kv_attention", false, true, true, "symmetric softmax(KK^T/sqrt(d))V, no queries"},
       make_kv_attention_mixer,
       kv_attention_mixer_cost},
      {{"kv_pos_attention", true, true, true, "softmax(w KK^T/sqrt(d) + P + b)V, learned 2-D pair positions"},
       make_kv_pos_attention_mixer,
       kv_pos_attention_mixer_cost},
      {{"spatial_fc", true, true, false, "W X, W an NxN matrix over tokens"},
       make_spatial_fc_mixer,
       spatial_fc_mixer_cost},
      {{"spatial_mlp", true, true, false, "token MLP N -> N/2 -> N with GELU (MLP-Mixer)"},
       make_spatial_mlp_mixer,
       spatial_mlp_mixer_cost},
      {{"gmlp", true, true, false, "spatial gating unit Z1 * (W LN(Z2) + b), projected to C"},
       make_gmlp_mixer,
       gmlp_mixer_cost},
      {{"dwconv", false, true, false, "depthwise k x k conv (k = pool_size)", true},
       make_dwconv_mixer,
       dwconv_mixer_cost},
      {{"sepconv", false, true, false, "pw C->2C, StarReLU, depthwise 7x7, pw 2C->C (ConvFormer)"},
       make_sepconv_mixer,
       sepconv_mixer_cost},
      {{"random", true, true, false, "frozen softmax_row(U[0,1)) NxN token matrix"},
       make_random_mixer,
       random_mixer_cost},
      {{"fourier", false, false, false, "Re(FFT2(X)) over tokens (FNet)"}, make_fourier_mixer, fourier_mixer_cost},
  };
  return registry;
}

const MixerEntry& find_mixer_entry(const std::string& name) {
  for (const auto& e : mixer_registry())
    if (e.traits.name == name) return e;
  std::string known;
  for (const auto& e : mixer_registry()) known += (known.empty() ? "" : ", ") + e.traits.name;
  throw std::invalid_argument("unknown token mixer '" + name + "': expected one of " + known);
}

std::shared_ptr<MixerImpl> make_mixer(const std::string& name, const MixerContext& context) {
  return find_mixer_entry(name).make(context);
}

}  // namespace ms
