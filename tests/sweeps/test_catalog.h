// A hand-made mixer catalog for the sweep-spec tests, so they run without the model zoo.
#pragma once
#include "sweeps/catalog.h"

namespace ms::test {

inline const Catalog& test_catalog() {
  static const Catalog catalog{{
      {"identity", false, true, false, ""},
      {"pool", false, true, false, ""},
      {"attention", false, true, true, ""},
      {"kv_attention", false, true, true, ""},
      {"spatial_fc", true, true, false, ""},
      {"random", true, true, false, ""},
      {"dwconv", false, true, false, ""},
      {"fourier", false, false, false, ""},
      {"kv_pos_attention", true, true, true, ""},
      {"gmlp", true, true, false, ""},
      {"spatial_mlp", true, true, false, ""},
      {"sepconv", false, true, false, ""},
  }};
  return catalog;
}

}  // namespace ms::test
