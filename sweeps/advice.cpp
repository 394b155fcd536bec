// Sweep advice (see advice.h).
#include "sweeps/advice.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "sweeps/datasets.h"
#include "sweeps/inert_keys.h"
#include "sweeps/shard_pattern.h"

namespace ms {

std::vector<std::string> sweep_advice(const std::vector<Job>& jobs) {
  std::vector<std::string> out;
  const auto of_jobs = [&](size_t n) { return std::to_string(n) + " of " + std::to_string(jobs.size()) + " jobs"; };
  size_t coupled = 0;
  std::set<std::string> optimizers;
  std::set<std::string> variants;
  for (const Job& job : jobs) {
    const auto& opt = job.config.at("task").at("optimizer");
    const std::string name = opt.at("name");
    const double wd = opt.at("weight_decay");
    const double layer_scale = job.config.at("model").at("layer_scale");
    if (name != "adamw" && wd > 0 && layer_scale > 0) {
      ++coupled;
      optimizers.insert(name);
      variants.insert(job.section == "baseline" ? std::string("baseline") : job.section + " / " + job.variant);
    }
  }
  if (coupled > 0) {
    std::string names;
    for (const auto& n : optimizers) names += (names.empty() ? "" : " and ") + n;
    // Built by concatenation: a fixed buffer would cut a long label, perhaps inside a UTF-8 character.
    out.push_back(of_jobs(coupled) + " (" + std::to_string(variants.size()) + " variants, e.g. '" + *variants.begin() +
                  "') use " + names +
                  " with weight_decay > 0, which is L2 through the gradient, on a model with layer scale: "
                  "a block branch's gradient is scaled by its layer scale (model.layer_scale), so the L2 pull "
                  "dominates it and the token-mixer and MLP branches are suppressed. Use task.optimizer.name: "
                  "adamw (decoupled weight decay) or task.optimizer.weight_decay: 0");
  }
  // A warmup as long as the training: the learning rate never reaches its peak (or its schedule).
  size_t warming = 0;
  std::string warming_example;
  for (const Job& job : jobs) {
    const double warmup = job.config.at("task").at("schedule").at("warmup_epochs");
    const double epochs = job.config.at("task").at("epochs").get<double>();
    if (warmup > 0 && warmup >= epochs) {
      if (warming++ == 0) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "warmup_epochs %g, epochs %g", warmup, epochs);
        warming_example = buf;
      }
    }
  }
  if (warming > 0)
    out.push_back(of_jobs(warming) + " warm up for as many epochs as they train or more (e.g. " + warming_example +
                  "): their learning rate never leaves the warmup ramp to follow task.schedule");
  // Stochastic depth without residual connections: a dropped branch has no identity path to fall
  // back to, so its sample's activations become zeros and every later layer sees no input for it.
  size_t erasing = 0;
  double kept_example = 1.0;
  std::string erasing_example;
  for (const Job& job : jobs) {
    const auto& model = job.config.at("model");
    const double rate = model.at("drop_path");
    if (model.at("residual").get<bool>() || rate <= 0) continue;
    const int64_t blocks = stochastic_depth_blocks(model.at("depths"), model.at("arch") == "sequence");
    const int branches = model.at("channel_mlp").get<bool>() && model.at("block") != "gmlp" ? 2 : 1;
    double kept = 1.0;  // the share of samples no branch drops in one step (block i at rate·i/(N-1))
    for (int64_t i = 0; i < blocks && blocks > 1; ++i)
      kept *= std::pow(1.0 - rate * static_cast<double>(i) / static_cast<double>(blocks - 1), branches);
    if (erasing++ == 0) {
      kept_example = kept;
      erasing_example = job.section == "baseline" ? std::string("baseline") : job.section + " / " + job.variant;
    }
  }
  if (erasing > 0) {
    char share[32];
    std::snprintf(share, sizeof share, "%.0f%%", 100.0 * (1.0 - kept_example));
    out.push_back(of_jobs(erasing) + " (e.g. '" + erasing_example +
                  "') use model.drop_path > 0 with model.residual: false: a dropped branch has no residual to fall "
                  "back to, so its sample's activations become zeros (" +
                  share +
                  " of each batch there reach the head with their input erased). Set model.drop_path: 0 in those "
                  "variants unless that is the ablation meant");
  }
  // A batch larger than the training set: the loader takes all of it as one batch, so every
  // batch size above it trains alike (one step per epoch), under as many job ids.
  size_t whole = 0;
  std::string whole_example;
  for (const Job& job : jobs) {
    const auto& task = job.config.at("task");
    const DatasetInfo* data = find_dataset(task.at("dataset").get<std::string>());
    if (!data) continue;
    int64_t examples = 0;  // 0: not known before the files are read
    if (data->default_train_size > 0)
      examples =
          task.at("train_size").get<int64_t>() > 0 ? task.at("train_size").get<int64_t>() : data->default_train_size;
    else if (data->train_examples > 0 && task.at("data_dir") == data->default_data_dir)
      examples = data->train_examples;
    const int64_t subset = task.at("train_subset");
    if (subset > 0 && (examples == 0 || subset < examples)) examples = subset;
    const int64_t batch = task.at("batch_size");
    if (examples > 0 && batch > examples && whole++ == 0)
      whole_example = "batch_size " + std::to_string(batch) + ", " + std::to_string(examples) + " examples";
  }
  if (whole > 0)
    out.push_back(of_jobs(whole) + " have task.batch_size above their training examples (e.g. " + whole_example +
                  "): each epoch is one batch of all of them, so any batch size above it trains alike");
  // A learning rate of 0: training never moves the weights (perhaps meant, as an untrained control).
  size_t frozen = 0;
  for (const Job& job : jobs) frozen += job.config.at("task").at("optimizer").at("lr").get<double>() == 0.0;
  if (frozen > 0)
    out.push_back(of_jobs(frozen) +
                  " have task.optimizer.lr 0: training never moves their weights from initialisation");
  // A data folder missing here: every job reading it would fail. Only a warning, since a sweep
  // may be planned on a login node that does not mount the data its compute nodes read.
  std::map<std::string, size_t> missing;
  for (const Job& job : jobs) {
    const auto& task = job.config.at("task");
    if (!task.contains("data_dir") || !task.at("data_dir").is_string()) continue;
    const std::string dir = task.at("data_dir");
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) ++missing[dir];
  }
  for (const auto& [dir, n] : missing)
    out.push_back("task.data_dir '" + dir + "' is not a folder on this machine (" + of_jobs(n) +
                  " read it): they will fail unless it exists where they run");
  // Likewise shards named one by one: a folder, a file, or a brace pattern whose files are missing.
  std::map<std::pair<std::string, std::string>, size_t> missing_shards;  // (key, pattern) -> jobs
  std::map<std::string, std::string> shards_note;                        // pattern -> what is missing
  for (const Job& job : jobs)
    for (const char* key : {"train_shards", "val_shards"}) {
      const auto& task = job.config.at("task");
      if (!task.contains(key) || !task.at(key).is_string()) continue;
      const std::string pattern = task.at(key);
      std::error_code ec;
      if (pattern.empty() || std::filesystem::exists(pattern, ec)) continue;
      if (!shards_note.count(pattern)) {
        size_t absent = 0, names = 0;
        try {
          for (const std::string& name : expand_braces(pattern)) {
            ++names;
            absent += !std::filesystem::exists(name, ec);
          }
        } catch (const std::invalid_argument&) {
          continue;  // its syntax error is the validator's to report
        }
        shards_note[pattern] =
            absent == 0       ? ""
            : absent == names ? std::string(names == 1 ? "is not a file or folder" : "names no file")
                              : "misses " + std::to_string(absent) + " of its " + std::to_string(names) + " shards";
      }
      if (!shards_note[pattern].empty()) ++missing_shards[{key, pattern}];
    }
  for (const auto& [where, n] : missing_shards)
    out.push_back("task." + where.first + " '" + where.second + "' " + shards_note[where.second] +
                  " on this machine (" + of_jobs(n) +
                  " read it): they will fail unless the shards exist where they run");
  return out;
}

}  // namespace ms
