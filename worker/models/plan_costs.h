// Filling params/MACs into expanded jobs (one model build per distinct config, cached) and the
// cost estimate the scheduler orders jobs by: MACs x training examples x epochs.
#pragma once
#include <vector>

#include "sweeps/job.h"

namespace ms {

void fill_costs(std::vector<Job>& jobs);
double estimated_cost(const Job& job);

}  // namespace ms
