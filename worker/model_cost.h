// Parameter and MAC counts of the model a config describes, and the mixer catalog for the
// sweep validator — the torch-free face of the model zoo, for `plan` and the orchestrator.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>

#include "catalog.h"

namespace ms {

struct ModelCost {
  int64_t params = 0;         // trainable
  int64_t frozen_params = 0;  // e.g. the random mixer's fixed matrices
  int64_t macs = 0;           // one forward pass of one example, fvcore-style
};

ModelCost model_cost(const nlohmann::json& config);

// Mixer names and traits, straight from the worker's registry.
const Catalog& model_catalog();

}  // namespace ms
