// Filling params/MACs into expanded jobs (one model build per distinct config, cached) and the
// cost estimate the scheduler orders jobs by: MACs x training examples x epochs.
#pragma once
#include <cstdint>
#include <vector>

#include "sweeps/job.h"

namespace ms {

void fill_costs(std::vector<Job>& jobs);
double estimated_cost(const Job& job);
// The training-set size estimated_cost() assumes where it is not known before a job indexes its
// files (imagefolder, webdataset without task.train_subset; a charlm text that cannot be read),
// and whether `job` is such a job. charlm's windows are counted from its text's length.
constexpr int64_t kAssumedTrainExamples = 10000;
bool costed_at_assumed_size(const Job& job);

}  // namespace ms
