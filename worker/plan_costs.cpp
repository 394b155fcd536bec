// Cost filling and estimates for planning and scheduling (see plan_costs.h).
#include "plan_costs.h"

#include <map>

#include "model_cost.h"

namespace ms {

void fill_costs(std::vector<Job>& jobs) {
  std::map<std::string, ModelCost> cache;  // keyed by the canonical config text
  for (auto& job : jobs) {
    const std::string key = job.config.dump();
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, model_cost(job.config)).first;
    job.params = it->second.params;
    job.macs = it->second.macs;
  }
}

double estimated_cost(const Job& job) {
  const auto& task = job.config.at("task");
  double examples = 0;
  const int64_t subset = task.at("train_subset");
  const std::string dataset = task.at("dataset");
  if (subset > 0)
    examples = double(subset);
  else if (dataset == "fashion-mnist" || dataset == "mnist")
    examples = 60000;
  else if (dataset == "cifar10")
    examples = 50000;
  else if (task.at("train_size").get<int64_t>() > 0)
    examples = double(task.at("train_size").get<int64_t>());
  else
    examples = 10000;
  const double macs = job.macs > 0 ? double(job.macs) : 1e6;
  return 3.0 * macs * examples * double(task.at("epochs").get<int64_t>());
}

}  // namespace ms
