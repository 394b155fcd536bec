// What the sweep validator must know about the model zoo without depending on it: the token
// mixers with the traits that decide which configs are legal. The worker library builds the
// real catalog from its mixer registry (worker/mixers/registry.cpp) and hands it in.
#pragma once
#include <string>
#include <vector>

namespace ms {

struct MixerTraits {
  std::string name;
  bool fixed_tokens = false;    // weights sized by the token count N (spatial_fc, gmlp, random, ...)
  bool causal_ok = true;        // has a causal form for next-token prediction (charlm)
  bool uses_heads = false;      // splits channels into attention heads
  std::string summary;          // one line for --help and docs
  bool uses_pool_size = false;  // its kernel is model.pool_size (pool, dwconv)
};

struct Catalog {
  std::vector<MixerTraits> mixers;
  std::vector<std::string> mixer_names() const;
  const MixerTraits* find_mixer(const std::string& name) const;
};

}  // namespace ms
