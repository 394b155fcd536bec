// Cross-rank consistency checks for a data-parallel job: before any parameter collective, the
// ranks compare a fingerprint of their config and model structure (names, shapes, dtypes), so
// ranks that disagree fail with an error instead of hanging in, or silently corrupting, a
// broadcast or all-reduce; after training they compare a fingerprint of every parameter's and
// buffer's bytes, which must be bitwise identical across the group.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "worker/dist/communicator.h"

namespace ms {

uint64_t structure_fingerprint(const nlohmann::json& config, int64_t seed, const torch::nn::Module& model);
uint64_t parameter_fingerprint(const torch::nn::Module& model);  // bytes of all parameters and buffers

// Collective over `comm` (every rank must call it at the same point). Throws
// std::runtime_error on every rank when any rank's value differs from rank 0's.
void require_same_on_all_ranks(uint64_t value, Communicator& comm, const std::string& what);

}  // namespace ms
