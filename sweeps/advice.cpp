// Sweep advice (see advice.h).
#include "sweeps/advice.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "sweeps/shard_pattern.h"

namespace ms {

std::vector<std::string> sweep_advice(const std::vector<Job>& jobs) {
  std::vector<std::string> out;
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
    out.push_back(std::to_string(coupled) + " of " + std::to_string(jobs.size()) + " jobs (" +
                  std::to_string(variants.size()) + " variants, e.g. '" + *variants.begin() + "') use " + names +
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
    out.push_back(std::to_string(warming) + " of " + std::to_string(jobs.size()) +
                  " jobs warm up for as many epochs as they train or more (e.g. " + warming_example +
                  "): their learning rate never leaves the warmup ramp to follow task.schedule");
  // A learning rate of 0: training never moves the weights (perhaps meant, as an untrained control).
  size_t frozen = 0;
  for (const Job& job : jobs) frozen += job.config.at("task").at("optimizer").at("lr").get<double>() == 0.0;
  if (frozen > 0)
    out.push_back(std::to_string(frozen) + " of " + std::to_string(jobs.size()) +
                  " jobs have task.optimizer.lr 0: training never moves their weights from initialisation");
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
    out.push_back("task.data_dir '" + dir + "' is not a folder on this machine (" + std::to_string(n) + " of " +
                  std::to_string(jobs.size()) + " jobs read it): they will fail unless it exists where they run");
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
        shards_note[pattern] = absent == 0 ? ""
                               : absent == names
                                   ? std::string(names == 1 ? "is not a file or folder" : "names no file")
                                   : "misses " + std::to_string(absent) + " of its " + std::to_string(names) + " shards";
      }
      if (!shards_note[pattern].empty()) ++missing_shards[{key, pattern}];
    }
  for (const auto& [where, n] : missing_shards)
    out.push_back("task." + where.first + " '" + where.second + "' " + shards_note[where.second] +
                  " on this machine (" + std::to_string(n) + " of " + std::to_string(jobs.size()) +
                  " jobs read it): they will fail unless the shards exist where they run");
  return out;
}

}  // namespace ms
