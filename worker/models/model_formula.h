// Parameter and MAC counts of the model a config describes, from formulas: nothing is built and
// no weight is allocated, so a variant too large for this machine is still counted exactly
// (and `plan` can say how large it is). The same walk as the model constructors (stem,
// downsampling, blocks, norms, head; embedding and positions for sequences) with each mixer's
// own formula from the registry. tests/worker/models/model_formula_test.cpp holds it equal to the built
// model's count for every mixer, norm, activation and architecture.
#pragma once
#include <nlohmann/json.hpp>

#include "worker/models/model_cost.h"

namespace ms {

// Throws std::invalid_argument where building the model would (odd gmlp width, heads that do
// not divide a stage, an image that shrinks to nothing, ...).
ModelCost formula_cost(const nlohmann::json& config);

}  // namespace ms
