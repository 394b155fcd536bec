// `metasweep plan SWEEP.yaml [--format table|json]`: the jobs a sweep implies, with their ids,
// trainable parameters and MACs, without training anything.
#include <cstdio>
#include <iostream>
#include <map>

#include "cli/options.h"
#include "results/reports/text_table.h"
#include "sweeps/advice.h"
#include "sweeps/errors.h"
#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"
#include "worker/models/model_cost.h"
#include "worker/models/plan_costs.h"

namespace ms::cli {

namespace {

const char* kPlanUsage =
    "usage: metasweep plan SWEEP.yaml [--format table|json] [--max-jobs N]\n\n"
    "Expands a sweep file (baseline, ablation variants, grid/zip cells, seeds) into jobs and prints\n"
    "each with its id (hash of the resolved config + seed), trainable parameters and MACs per example.\n"
    "MACs are one forward pass of one example counted like fvcore: convolutions, linear layers and\n"
    "matrix products; pooling, norms, activations, softmax and FFTs count 0 (so `fourier` costs what\n"
    "`identity` does). Frozen weights (the `random` mixer's matrices) are not trainable parameters.\n"
    "A sweep of more than --max-jobs jobs (default 10000, counted before expanding) is refused.";

// Counts in the unit that reads best (950, 4.27K, 11.4M, 1.82G), as `results` and `report` show
// them: a 4,000-parameter test model is not "0.00M".
std::string count_text(int64_t n) { return n < 0 ? "?" : si_count(static_cast<double>(n)); }

void print_table(const std::vector<Job>& jobs) {
  size_t wsec = 7, wvar = 7;
  for (const auto& j : jobs) wsec = std::max(wsec, j.section.size()), wvar = std::max(wvar, j.variant.size());
  std::printf("%-*s  %-*s  %4s  %-16s  %9s  %9s\n", int(wsec), "section", int(wvar), "variant", "seed", "id", "params",
              "MACs");
  std::map<std::string, int> configs;
  double total_cost = 0;
  for (const auto& j : jobs) {
    std::printf("%-*s  %-*s  %4lld  %-16s  %9s  %9s\n", int(wsec), j.section.c_str(), int(wvar), j.variant.c_str(),
                static_cast<long long>(j.seed), j.id.c_str(), count_text(j.params).c_str(), count_text(j.macs).c_str());
    configs[j.config.dump()]++;
    total_cost += estimated_cost(j);
  }
  std::printf("\n%zu job%s (%zu configuration%s x seeds), estimated training compute %.3g MACs (fwd+bwd ~ 3x fwd)\n",
              jobs.size(), jobs.size() == 1 ? "" : "s", configs.size(), configs.size() == 1 ? "" : "s", total_cost);
  size_t assumed = 0;
  for (const auto& j : jobs) assumed += costed_at_assumed_size(j) ? 1 : 0;
  if (assumed > 0)
    std::printf(
        "note: %zu job(s) read their examples from disk, whose count is known only when a job indexes them: they "
        "are costed at %lld training examples per epoch (task.train_subset sets the count used)\n",
        assumed, static_cast<long long>(kAssumedTrainExamples));
  std::map<std::string, int> unmeasured;  // error -> jobs
  for (const auto& j : jobs)
    if (!j.cost_error.empty()) unmeasured[j.cost_error]++;
  for (const auto& [error, n] : unmeasured) std::printf("%d job(s) will fail when run: %s\n", n, error.c_str());
}

}  // namespace

int cmd_plan(const Args& args) {
  po::options_description options("plan options");
  std::string sweep_file, format = "table";
  int64_t max_jobs = kDefaultMaxJobs;
  options.add_options()("sweep", po::value(&sweep_file)->required(), "sweep file (YAML)")(
      "max-jobs", po::value(&max_jobs)->default_value(kDefaultMaxJobs),
      "refuse sweeps that expand to more jobs than this (counted before expanding)")(
      "format", po::value(&format)->default_value("table"), "table | json");
  po::positional_options_description positional;
  positional.add("sweep", 1);
  po::variables_map vm;
  if (!parse_options(args, kPlanUsage, options, positional, vm)) return 0;
  if (max_jobs < 1) throw UsageError("--max-jobs must be at least 1");
  check_choice("format", format, {"table", "json"});

  const SweepSpec spec = load_sweep_file(sweep_file, model_catalog(), max_jobs);
  std::vector<std::string> folded;
  std::vector<Job> jobs = expand_sweep(spec, model_catalog(), &folded);
  for (const auto& line : folded) std::fprintf(stderr, "metasweep plan: %s\n", line.c_str());
  for (const auto& line : sweep_advice(jobs)) std::fprintf(stderr, "metasweep plan: warning: %s\n", line.c_str());
  fill_costs(jobs);

  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : jobs) {
      out.push_back({{"id", j.id},
                     {"sweep", j.sweep},
                     {"section", j.section},
                     {"variant", j.variant},
                     {"seed", j.seed},
                     {"params", j.params},
                     {"macs", j.macs},
                     {"config", j.config}});
      if (!j.cost_error.empty()) out.back()["error"] = j.cost_error;  // params/macs: -1 if not even counted
    }
    std::cout << out.dump(2) << "\n";
  } else {
    print_table(jobs);
  }
  return 0;
}

}  // namespace ms::cli
