// A hand-made mixer catalog for the sweep-spec tests, so they run without the model zoo, and the
// jobs a sweep text plans with it.
#pragma once
#include <string>
#include <vector>

#include "sweeps/catalog.h"
#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"

namespace ms::test {

inline const Catalog& test_catalog() {
  static const Catalog catalog{{
      {"identity", false, true, false, ""},
      {"pool", false, true, false, "", true},
      {"attention", false, true, true, ""},
      {"kv_attention", false, true, true, ""},
      {"spatial_fc", true, true, false, ""},
      {"random", true, true, false, ""},
      {"dwconv", false, true, false, "", true},
      {"fourier", false, false, false, ""},
      {"kv_pos_attention", true, true, true, ""},
      {"gmlp", true, true, false, ""},
      {"spatial_mlp", true, true, false, ""},
      {"sepconv", false, true, false, ""},
  }};
  return catalog;
}

// The jobs of sweep file text `yaml` (named `file` in messages), planned with test_catalog().
inline std::vector<Job> plan(const std::string& yaml, const std::string& file = "t.yaml") {
  return expand_sweep(parse_sweep(yaml, file, test_catalog()), test_catalog());
}

}  // namespace ms::test
