// The schema of a resolved job config: every dotted key a sweep may set, its type, bounds,
// accepted values and default. Unknown keys, wrong types and out-of-range values are rejected
// against this table, and the canonical config (hence the job id) is built from it.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ms {

enum class ValueKind {
  Int,    // integer (2.0 accepted, 2.5 rejected)
  Float,  // any number, stored as double
  Bool,
  String,
  Enum,       // one of `choices`
  IntList,    // list of integers (depths, dims)
  StageEnum,  // one choice for all stages, or a list with one per stage
  StageInt,   // one integer (or "auto") for all stages, or a list with one per stage
};

struct KeySpec {
  std::string key;  // dotted, e.g. "model.pool_size"
  ValueKind kind;
  nlohmann::json default_value;
  std::vector<std::string> choices;  // Enum/StageEnum; empty for mixers (taken from the Catalog)
  double min = -1e300;               // inclusive bounds for numbers (and list elements)
  double max = 1e300;
  std::string help;
  // The id-schema generation that added the key: 0 for every key of the first release. A key
  // added later (since >= 1) whose default keeps the old behaviour is left out of the job id
  // while it is at its default, so every id computed before it existed stays the same.
  int since = 0;
};

const std::vector<KeySpec>& config_schema();
const KeySpec* find_key_spec(const std::string& dotted);

// Keys of the schema starting with prefix + "." (used to accept nested maps like task.optimizer).
bool is_key_prefix(const std::string& prefix);
// The keys of such a group, for a message: "model.stem.kernel, model.stem.stride, ..." (at most
// `shown`, then ", ...").
std::string key_group_members(const std::string& prefix, size_t shown = 6);

// The closest known key to an unknown one, for "did you mean" hints ("" when nothing is close).
std::string closest_key(const std::string& unknown);

// Levenshtein distance, exposed for hints on enumerations too.
size_t edit_distance(const std::string& a, const std::string& b);

// A config with every key at its default, as a flat object {dotted key: value}.
nlohmann::json default_flat_config();

std::string join(const std::vector<std::string>& items, const std::string& sep);
// The pieces of `text` between the occurrences of `sep` (not empty), empty pieces included:
// join(split(t, s), s) == t.
std::vector<std::string> split(const std::string& text, const std::string& sep);

}  // namespace ms
