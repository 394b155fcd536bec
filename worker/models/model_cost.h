// Parameter and MAC counts of the model a config describes, and the mixer catalog for the
// sweep validator — the torch-free face of the model zoo, for `plan` and the orchestrator.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "sweeps/catalog.h"

namespace ms {

struct ModelCost {
  int64_t params = 0;         // trainable
  int64_t frozen_params = 0;  // e.g. the random mixer's fixed matrices
  int64_t macs = 0;           // one forward pass of one example, fvcore-style
  // Counted by the formulas only (0 when measured): the bytes of the largest activations of that
  // forward pass, roughly (attention scores are N x N per head), to decide whether measuring is
  // affordable.
  double activation_bytes = 0;
  // Non-empty: the model is too large to build on this machine (why, in one line); the counts
  // above then come from the formulas (model_formula.h), exact but not measured.
  std::string unbuildable;
};

// Formulas first (nothing allocated): a model whose weights need more than half this machine's
// memory is returned counted and marked unbuildable; any other is built and measured (cached per
// geometry). Throws where the config describes no model (e.g. heads that do not divide a stage).
ModelCost model_cost(const nlohmann::json& config);

// Builds the model and counts what it holds and what one example's forward costs.
ModelCost measured_cost(const nlohmann::json& config);

// Mixer names and traits, straight from the worker's registry.
const Catalog& model_catalog();

}  // namespace ms
