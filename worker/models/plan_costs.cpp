// Cost filling and estimates for planning and scheduling (see plan_costs.h).
#include "worker/models/plan_costs.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "sweeps/datasets.h"
#include "sweeps/errors.h"
#include "sweeps/run_config.h"
#include "worker/data/dataset_gzip.h"
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

namespace {

// charlm's training windows, from its text's length (read once per file; 0 when unreadable).
int64_t charlm_train_examples(const TaskConfig& task) {
  static std::map<std::string, int64_t> text_bytes;
  auto it = text_bytes.find(task.text_file);
  if (it == text_bytes.end()) {
    int64_t n = 0;
    try {  // a plain text by its size; a gzipped one decompressed (as the job reads it)
      char magic[2] = {};
      std::ifstream in(task.text_file, std::ios::binary);
      const bool gzipped = in.read(magic, 2) && magic[0] == '\x1f' && magic[1] == '\x8b';
      std::error_code ec;
      const auto size = std::filesystem::file_size(task.text_file, ec);
      if (in.is_open() && !ec)
        n = gzipped ? static_cast<int64_t>(read_maybe_gzipped(task.text_file).size()) : static_cast<int64_t>(size);
    } catch (const std::exception&) {  // the job will fail and say why; plan only estimates
    }
    it = text_bytes.emplace(task.text_file, n).first;
  }
  return charlm_windows(it->second, task.seq_len).train;
}

// Training examples per epoch when known before the job runs; 0 otherwise.
int64_t known_train_examples(const TaskConfig& task) {
  const DatasetInfo& data = dataset_info(task.dataset);
  if (task.train_subset > 0) return task.train_subset;
  if (data.train_examples > 0) return data.train_examples;
  if (task.train_size > 0) return task.train_size;
  if (data.loader == "charlm") return charlm_train_examples(task);
  return 0;
}

}  // namespace

bool costed_at_assumed_size(const Job& job) { return known_train_examples(run_config(job.config).task) <= 0; }

double estimated_cost(const Job& job) {
  const TaskConfig task = run_config(job.config).task;
  const int64_t known = known_train_examples(task);
  const double examples = double(known > 0 ? known : kAssumedTrainExamples);
  const double macs = job.macs > 0 ? double(job.macs) : 1e6;
  return 3.0 * macs * examples * double(task.epochs);
}

}  // namespace ms
