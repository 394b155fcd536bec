// JSON form of EpochMetrics, shared by the coordinator/worker protocol and the checkpoints
// (nlohmann's ADL hooks: `json j = metrics;` and `j.get<EpochMetrics>()`).
#pragma once
#include <nlohmann/json.hpp>

#include "sweeps/metrics.h"

namespace ms {

void to_json(nlohmann::json& j, const EpochMetrics& m);
void from_json(const nlohmann::json& j, EpochMetrics& m);

}  // namespace ms
