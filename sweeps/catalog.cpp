// Lookups over the mixer catalog handed in by the worker library.
#include "sweeps/catalog.h"

namespace ms {

std::vector<std::string> Catalog::mixer_names() const {
  std::vector<std::string> names;
  for (const auto& m : mixers) names.push_back(m.name);
  return names;
}

const MixerTraits* Catalog::find_mixer(const std::string& name) const {
  for (const auto& m : mixers)
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace ms
