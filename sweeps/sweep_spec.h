// A sweep file parsed into typed pieces (DESIGN.md §4): name, base overrides, seeds, ablation
// sections with their variants, grid/zip cells and exclusions. No expansion happens here.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "sweeps/catalog.h"
#include "sweeps/override.h"

namespace ms {

struct Variant {
  std::string section;  // "baseline" for the baseline
  std::string label;    // user label, or "key=value, key=value"
  Overrides overrides;
  std::optional<double> reference;  // optional published figure for this variant
  Mark mark;
};

struct Cell {  // one combination of grid/zip values
  std::string label;
  Overrides overrides;
};

struct Exclusion {  // one entry of `exclude`: drops every job matching all of its keys
  Overrides keys;
  Mark mark;  // where the entry was written (errors about what it removed point here)
};

struct SweepSpec {
  std::string file;
  std::string name;
  std::string description;
  Overrides base;
  Mark base_mark;
  std::vector<int64_t> seeds;
  std::vector<std::string> sections;  // file order, "baseline" first
  std::vector<Variant> variants;      // baseline first, then each section's variants in order
  std::vector<Cell> cells;            // at least one (empty label, no overrides)
  std::vector<Exclusion> excludes;
  std::string reference_metric;  // what `reference:` values measure (free text)
  std::string source;            // the text it was parsed from (stored with the sweep's results)
};

// Sweeps larger than this many jobs are refused unless the caller raises the limit (--max-jobs).
constexpr int64_t kDefaultMaxJobs = 10000;

// Throws SpecError (FILE:LINE:COL) for any mistake, including names that break the rules of
// names.h, duplicate labels in a section, empty sections and a file of several YAML documents;
// ms::UsageError when the sweep would expand to more than max_jobs jobs (the whole count, before
// exclusions and de-duplication, taken before anything is expanded).
SweepSpec parse_sweep(const std::string& text, const std::string& file, const Catalog& catalog,
                      int64_t max_jobs = kDefaultMaxJobs);
SweepSpec load_sweep_file(const std::string& path, const Catalog& catalog, int64_t max_jobs = kDefaultMaxJobs);

}  // namespace ms
