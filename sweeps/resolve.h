// Resolving a stack of overrides (defaults < base < variant < grid/zip cell) into the full,
// canonical job config, and the cross-key checks no single value can make on its own
// (depths vs dims, per-stage list lengths, odd pool sizes, causality for charlm, ...).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/catalog.h"
#include "sweeps/override.h"

namespace ms {

// Returns the nested config {"model": {...}, "task": {...}} with per-stage keys expanded to
// one entry per stage, "auto" heads computed and dataset defaults filled in. Errors point at
// the override that set the offending key (or at `fallback` for defaults).
nlohmann::json resolve_config(const std::string& file, const std::vector<const Overrides*>& layers,
                              const Catalog& catalog, Mark fallback);

// Dotted key -> value, the inverse of the nesting (lists stay values).
nlohmann::json flatten_config(const nlohmann::json& nested);
nlohmann::json nest_config(const nlohmann::json& flat);

}  // namespace ms
