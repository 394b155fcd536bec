// A job: one resolved config trained with one seed. Its id is a hash of the canonical config
// plus the seed, so the same experiment is one job whichever sweep, file or run it comes from.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sweeps/catalog.h"
#include "sweeps/config_schema.h"
#include "sweeps/sweep_spec.h"

namespace ms {

struct Job {
  std::string id;
  std::string sweep;
  std::string section;
  std::string variant;
  std::string cell;  // the grid/zip cell's label, which `variant` ends with (", <cell>"); "" without grid/zip
  int64_t seed = 0;
  nlohmann::json config;  // nested, fully resolved (see resolve.h)
  std::optional<double> reference;
  int64_t params = -1;  // filled from the model zoo (worker/models/model_cost.h); -1 = unknown
  int64_t macs = -1;
  std::string cost_error;  // why the model cannot be trained here (too large to build, no model): it fails
};

// Canonical text of (config, seed): sorted keys, numbers typed by the schema, shortest
// round-trip spelling for floats. Independent of YAML order, style, comments. Keys that a later
// release added (KeySpec::since >= 1) are left out while at their default, so ids survive
// upgrades (DESIGN.md §4); `schema` is the key table to apply (config_schema() by default).
std::string canonical_text(const nlohmann::json& config, int64_t seed);
std::string canonical_text(const nlohmann::json& config, int64_t seed, const std::vector<KeySpec>& schema);
std::string job_id(const nlohmann::json& config, int64_t seed);  // 16 hex digits of SHA-256

// Baseline and every variant, times grid/zip cells, times seeds; exclusions dropped; the
// same id twice kept once (first in file order). Throws SpecError when the exclusions remove
// every job, the baseline or a whole section (at the exclude entry responsible), or when a
// section has no job that an earlier section does not already have (at its first variant): no
// section is empty. `warnings`, when given, receives one "FILE:LINE:COL: ..." line per variant
// whose jobs fold into earlier ones, for plan and run to print.
std::vector<Job> expand_sweep(const SweepSpec& spec, const Catalog& catalog,
                              std::vector<std::string>* warnings = nullptr);

}  // namespace ms
