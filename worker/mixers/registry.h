// The one list of token mixers: name, traits and factory. Adding a mixer is one file in
// worker/mixers/ plus one line in registry.cpp.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sweeps/catalog.h"
#include "worker/mixers/mixer.h"

namespace ms {

using MixerFactory = std::function<std::shared_ptr<MixerImpl>(const MixerContext&)>;
using MixerCostFormula = MixerCost (*)(const MixerContext&);

struct MixerEntry {
  MixerTraits traits;
  MixerFactory make;
  MixerCostFormula cost;  // the same geometry's parameters and MACs, nothing allocated
};

const std::vector<MixerEntry>& mixer_registry();
// Throws std::invalid_argument listing the known names when `name` is not registered.
const MixerEntry& find_mixer_entry(const std::string& name);
std::shared_ptr<MixerImpl> make_mixer(const std::string& name, const MixerContext& context);

// Factories and cost formulas, one pair per mixer file.
std::shared_ptr<MixerImpl> make_identity_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_pool_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_attention_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_kv_attention_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_kv_pos_attention_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_spatial_fc_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_spatial_mlp_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_gmlp_mixer(const MixerContext& c);
// gMLP's block unit (model.block: gmlp): Linear C -> d_ffn, activation, spatial gating on d_ffn,
// projection d_ffn/2 -> C (gmlp.cpp). Its cost beside it.
std::shared_ptr<MixerImpl> make_gmlp_block_unit(const MixerContext& c, int64_t d_ffn, const std::string& activation);
std::shared_ptr<MixerImpl> make_dwconv_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_sepconv_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_random_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_fourier_mixer(const MixerContext& c);

MixerCost identity_mixer_cost(const MixerContext& c);
MixerCost pool_mixer_cost(const MixerContext& c);
MixerCost fourier_mixer_cost(const MixerContext& c);
MixerCost attention_mixer_cost(const MixerContext& c);
MixerCost kv_attention_mixer_cost(const MixerContext& c);
MixerCost kv_pos_attention_mixer_cost(const MixerContext& c);
MixerCost spatial_fc_mixer_cost(const MixerContext& c);
MixerCost spatial_mlp_mixer_cost(const MixerContext& c);
MixerCost gmlp_mixer_cost(const MixerContext& c);
MixerCost gmlp_block_unit_cost(const MixerContext& c, int64_t d_ffn, const std::string& activation);
MixerCost dwconv_mixer_cost(const MixerContext& c);
MixerCost sepconv_mixer_cost(const MixerContext& c);
MixerCost random_mixer_cost(const MixerContext& c);

}  // namespace ms
