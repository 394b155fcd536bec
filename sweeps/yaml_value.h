// Turning YAML nodes into schema-checked JSON values. Every error carries FILE:LINE:COL.
#pragma once
#include <string>

#include <yaml-cpp/yaml.h>

#include "sweeps/catalog.h"
#include "sweeps/config_schema.h"
#include "sweeps/override.h"

namespace ms {

Mark mark_of(const YAML::Node& node);
[[noreturn]] void fail_at(const std::string& file, const YAML::Node& node, const std::string& message);
// How `node` reads in a message: "a mapping", "a list", "nothing", or its text in quotes.
std::string describe(const YAML::Node& node);

// Rejects a mapping that repeats a key, or uses a YAML merge key (<<), anywhere below `node`.
void check_duplicate_keys(const std::string& file, const YAML::Node& node);

// Converts one value for a schema key, checking type, bounds and accepted values.
nlohmann::json convert_value(const std::string& file, const KeySpec& spec, const YAML::Node& node,
                             const Catalog& catalog);

// Appends `prefix.key: value` assignments found in a mapping to `out`. Nested maps under a known
// prefix (task.optimizer: {lr: ...}) are flattened; keys in `ignore` (e.g. "label") are skipped.
void flatten_overrides(const std::string& file, const YAML::Node& mapping, const std::string& prefix,
                       const Catalog& catalog, Overrides& out, const std::vector<std::string>& ignore = {});

// Reads one assignment `key: value` where key may be dotted.
void add_override(const std::string& file, const std::string& key, const YAML::Node& key_node, const YAML::Node& value,
                  const Catalog& catalog, Overrides& out);

// A value as it appears in a label: strings bare, lists as [a,b], whole numbers without ".0".
std::string label_text(const nlohmann::json& value);

}  // namespace ms
