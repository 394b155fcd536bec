// A sweep file parsed into typed pieces (DESIGN.md §4): name, base overrides, seeds, ablation
// sections with their variants, grid/zip cells and exclusions. No expansion happens here.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "catalog.h"
#include "override.h"

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
  std::vector<Overrides> excludes;
  std::string reference_metric;       // what `reference:` values measure (free text)
};

SweepSpec parse_sweep(const std::string& text, const std::string& file, const Catalog& catalog);
SweepSpec load_sweep_file(const std::string& path, const Catalog& catalog);

}  // namespace ms
