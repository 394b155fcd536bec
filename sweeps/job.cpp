// Job ids and sweep expansion (see job.h).
#include "sweeps/job.h"

#include <cstdio>
#include <set>

#include <openssl/sha.h>

#include "sweeps/resolve.h"

namespace ms {

using nlohmann::json;

std::string canonical_text(const json& config, int64_t seed, const std::vector<KeySpec>& schema) {
  json hashed = config;
  for (const KeySpec& k : schema) {
    if (k.since < 1) continue;
    const json::json_pointer at("/" + [&] {
      std::string path = k.key;
      for (auto& c : path)
        if (c == '.') c = '/';
      return path;
    }());
    if (hashed.contains(at) && hashed.at(at) == k.default_value) {
      hashed.at(at.parent_pointer()).erase(at.back());
      if (hashed.at(at.parent_pointer()).empty() && !at.parent_pointer().empty())
        hashed.at(at.parent_pointer().parent_pointer()).erase(at.parent_pointer().back());
    }
  }
  // nlohmann::json objects are std::map-backed: keys come out sorted at every level.
  return json{{"config", hashed}, {"seed", seed}}.dump();
}

std::string canonical_text(const json& config, int64_t seed) { return canonical_text(config, seed, config_schema()); }

std::string job_id(const json& config, int64_t seed) {
  const std::string text = canonical_text(config, seed);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  char hex[17];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 16);
}

namespace {

bool matches(const json& flat, const Overrides& entry) {
  for (const Override& o : entry) {
    const json& actual = flat.at(o.key);
    if (actual == o.value) continue;
    if (actual.is_array() && !o.value.is_array()) {  // per-stage key given as one value
      bool all = !actual.empty();
      for (const auto& v : actual) all = all && v == o.value;
      if (all) continue;
    }
    return false;
  }
  return true;
}

}  // namespace

std::vector<Job> expand_sweep(const SweepSpec& spec, const Catalog& catalog) {
  std::vector<Job> jobs;
  std::set<std::string> seen;
  for (const Variant& variant : spec.variants) {
    for (const Cell& cell : spec.cells) {
      const json config =
          resolve_config(spec.file, {&spec.base, &variant.overrides, &cell.overrides}, catalog, variant.mark);
      const json flat = flatten_config(config);
      bool excluded = false;
      for (const auto& entry : spec.excludes) excluded = excluded || matches(flat, entry);
      if (excluded) continue;
      for (int64_t seed : spec.seeds) {
        Job job;
        job.id = job_id(config, seed);
        if (!seen.insert(job.id).second) continue;
        job.sweep = spec.name;
        job.section = variant.section;
        job.variant = cell.label.empty() ? variant.label : variant.label + ", " + cell.label;
        job.seed = seed;
        job.config = config;
        job.reference = variant.reference;
        jobs.push_back(std::move(job));
      }
    }
  }
  return jobs;
}

}  // namespace ms
