// Warnings about sweeps that are valid but very likely not what the researcher meant, said
// once per sweep by `plan` and `run` (stderr) before anything trains. Torch-free: the facts come
// from the resolved configs alone.
#pragma once
#include <string>
#include <vector>

#include "sweeps/job.h"

namespace ms {

// One line per problem, empty when none. Today: coupled L2 weight decay (adam or sgd with
// weight_decay > 0) on models with layer scale, which suppresses the token-mixer branches; and a
// task.data_dir that is not a folder here (one line per folder).
std::vector<std::string> sweep_advice(const std::vector<Job>& jobs);

}  // namespace ms
