// The one list of token mixers: name, traits and factory. Adding a mixer is one file in
// worker/mixers/ plus one line in registry.cpp.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog.h"
#include "mixers/mixer.h"

namespace ms {

using MixerFactory = std::function<std::shared_ptr<MixerImpl>(const MixerContext&)>;

struct MixerEntry {
  MixerTraits traits;
  MixerFactory make;
};

const std::vector<MixerEntry>& mixer_registry();
// Throws std::invalid_argument listing the known names when `name` is not registered.
const MixerEntry& find_mixer_entry(const std::string& name);
std::shared_ptr<MixerImpl> make_mixer(const std::string& name, const MixerContext& context);

// Factories, one per mixer file.
std::shared_ptr<MixerImpl> make_identity_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_pool_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_attention_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_kv_attention_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_kv_pos_attention_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_spatial_fc_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_spatial_mlp_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_gmlp_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_dwconv_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_sepconv_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_random_mixer(const MixerContext& c);
std::shared_ptr<MixerImpl> make_fourier_mixer(const MixerContext& c);

}  // namespace ms
