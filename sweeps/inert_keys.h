// Keys a resolved job config sets that its training never reads: an optimizer's option under
// another optimizer (sgd's momentum under adamw), a mixer's option no stage's mixer has
// (model.pool_size without a pool or dwconv stage, model.heads without attention), a schedule's
// option under another schedule, an architecture's option under the other. A variant that differs
// from its baseline only in such keys trains the baseline's model under another job id, and its
// table row would read "no effect" for a factor that was never applied: expand_sweep leaves out
// the grid/zip cells where a variant does that (with a warning) and refuses a variant that does it
// in every cell.
// Torch-free: the facts come from the config and the catalog's mixer traits.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/catalog.h"

namespace ms {

struct InertKey {
  std::string key;  // dotted, e.g. "model.pool_size"
  std::string why;  // one clause: "model.pool_size is the kernel of the pool and dwconv mixers, and ..."
  // Part of the key is read: the value training sees of it (model.heads with the stages whose
  // mixer has no heads set to 0), which the effective config holds instead of dropping the key.
  std::optional<nlohmann::json> read_part;
  // Whether setting the key in a variant is worth a warning: not for a key whose effect another
  // key already holds (model.head_dim, resolved into model.heads) or that is partly read.
  bool warn_when_set = true;
};

// The blocks stochastic depth spreads its rates over (worker/models: every stage's of a metaformer,
// the one stage's of a sequence model); block i of N drops at model.drop_path * i / (N - 1).
int64_t stochastic_depth_blocks(const nlohmann::json& depths, bool sequence);

// `config`: nested and fully resolved (resolve_config). Keys in the order of the rules.
std::vector<InertKey> inert_keys(const nlohmann::json& config, const Catalog& catalog);
// The same of such a config already flattened (flatten_config).
std::vector<InertKey> inert_keys_of_flat(const nlohmann::json& flat, const Catalog& catalog);

// The flat config without its inert keys: two configs with equal effective configs train the same
// model the same way. The second form takes the flat config and its inert keys already known.
nlohmann::json effective_flat_config(const nlohmann::json& config, const Catalog& catalog);
nlohmann::json effective_flat_config(nlohmann::json flat, const std::vector<InertKey>& inert);

}  // namespace ms
