// Cost filling and estimates for planning and scheduling (see plan_costs.h).
#include "worker/models/plan_costs.h"

#include <map>

#include "sweeps/datasets.h"
#include "sweeps/errors.h"
#include "sweeps/run_config.h"
#include "worker/models/model_cost.h"

namespace ms {

void fill_costs(std::vector<Job>& jobs) {
  struct Measured {
    ModelCost cost;
    std::string error;
  };
  std::map<std::string, Measured> cache;  // keyed by the canonical config text
  for (auto& job : jobs) {
    const std::string key = job.config.dump();
    auto it = cache.find(key);
    if (it == cache.end()) {
      Measured m;
      try {
        m.cost = model_cost(job.config);
        m.error = m.cost.unbuildable;      // counted from formulas, but cannot be trained here
      } catch (const std::exception& e) {  // no model at all: this job fails, not the sweep
        m.cost.params = m.cost.macs = -1;
        m.error = user_message(e.what());
      }
      it = cache.emplace(key, m).first;
    }
    job.params = it->second.cost.params;
    job.macs = it->second.cost.macs;
    job.cost_error = it->second.error;
  }
}

bool costed_at_assumed_size(const Job& job) {
  const TaskConfig task = run_config(job.config).task;
  return task.train_subset <= 0 && dataset_info(task.dataset).train_examples <= 0 && task.train_size <= 0;
}

double estimated_cost(const Job& job) {
  const TaskConfig task = run_config(job.config).task;
  const DatasetInfo& data = dataset_info(task.dataset);
  double examples = 0;
  if (task.train_subset > 0)
    examples = double(task.train_subset);
  else if (data.train_examples > 0)
    examples = double(data.train_examples);
  else if (task.train_size > 0)
    examples = double(task.train_size);
  else
    examples = double(kAssumedTrainExamples);
  const double macs = job.macs > 0 ? double(job.macs) : 1e6;
  return 3.0 * macs * examples * double(task.epochs);
}

}  // namespace ms
