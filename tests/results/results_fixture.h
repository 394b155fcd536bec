// A small, real sweep for the results tests: a sweep file parsed with a hand-made mixer catalog,
// expanded into 18 jobs (6 variants x 3 seeds) and recorded through the ResultStore API with
// known metrics, so that every statistic can be checked against values computed by hand.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "results/store/store.h"
#include "sweeps/catalog.h"
#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"

namespace ms::test {

inline const Catalog& results_catalog() {
  static const Catalog catalog{{
      {"identity", false, true, false, "x"},
      {"pool", false, true, false, "avg pool minus x", true},
      {"attention", false, true, true, "softmax attention"},
  }};
  return catalog;
}

inline const char* kTinySweep = R"(name: tiny
description: a tiny test sweep
reference_metric: ImageNet top-1 (%)
reference: 77.2
base:
  task: {dataset: synthetic-images, epochs: 3, batch_size: 16, optimizer: {lr: 1.0e-3}}
  model: {depths: [1, 1, 1, 1], dims: [8, 16, 32, 64], mixers: pool, head_dim: 8}
seeds: [0, 1, 2]
ablations:
  token mixer:
    - {model.mixers: identity, reference: 74.3}
    - {model.mixers: attention, reference: 76.0}
  hybrid stages:
    - {label: "[P,P,A,A]", model.mixers: [pool, pool, attention, attention], reference: 78.0}
  normalization:
    model.norm: [layernorm, batchnorm]
)";

// Final test accuracy by variant label, per seed 0, 1, 2 (-1: not done, see fill_tiny_db).
inline const std::map<std::string, std::vector<double>>& tiny_final_acc() {
  static const std::map<std::string, std::vector<double>> acc = {
      {"baseline", {0.80, 0.82, 0.84}},
      {"model.mixers=identity", {0.70, 0.71, 0.75}},
      {"model.mixers=attention", {0.85, 0.86, 0.90}},
      {"[P,P,A,A]", {0.88, 0.87, 0.86}},
      {"model.norm=layernorm", {0.81, 0.83, -1}},  // seed 2 diverged
      {"model.norm=batchnorm", {-1, 0.79, -1}},    // seed 0 failed, seed 2 running (epoch 1)
  };
  return acc;
}

inline SweepSpec tiny_spec() { return parse_sweep(kTinySweep, "tiny.yaml", results_catalog()); }

inline std::vector<Job> tiny_jobs() {
  std::vector<Job> jobs = expand_sweep(tiny_spec(), results_catalog());
  for (size_t i = 0; i < jobs.size(); ++i) {
    const int v = static_cast<int>(i / 3);
    jobs[i].params = 1000000 * (v + 1);
    jobs[i].macs = 100000000LL * (v + 1);
  }
  return jobs;
}

inline EpochMetrics tiny_epoch(double final_acc, int64_t epoch, int64_t seed) {
  EpochMetrics m;
  m.epoch = epoch;
  m.test_acc = final_acc * (0.6 + 0.2 * static_cast<double>(epoch - 1));
  m.test_loss = 1.0 - m.test_acc;
  m.train_loss = 1.1 - m.test_acc;
  m.lr = 1e-3;
  m.samples_per_s = 1000.0 + 10.0 * static_cast<double>(seed);
  m.wall_s = 2.0;
  return m;
}

// Registers the sweep and plays a run: every job trained to its final accuracy, except
// layernorm seed 2 (diverged at epoch 2), batchnorm seed 0 (failed, "boom: out of memory")
// and batchnorm seed 2 (still running after epoch 1).
inline std::vector<Job> fill_tiny_db(const std::string& path) {
  const std::vector<Job> jobs = tiny_jobs();
  ResultStore store(path, OpenMode::Writer);
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  for (const Job& job : jobs) {
    const double acc = tiny_final_acc().at(job.variant).at(static_cast<size_t>(job.seed));
    store.job_started(job.id, "host-a");
    if (job.variant == "model.norm=layernorm" && job.seed == 2) {
      store.record_epoch(job.id, tiny_epoch(0.5, 1, job.seed));
      store.job_finished(job.id, JobStatus::Diverged, "loss became nan at epoch 2", 3.0);
    } else if (job.variant == "model.norm=batchnorm" && job.seed == 0) {
      store.job_finished(job.id, JobStatus::Failed, "boom: out of memory", 0.5);
    } else if (job.variant == "model.norm=batchnorm" && job.seed == 2) {
      store.record_epoch(job.id, tiny_epoch(0.9, 1, job.seed));
    } else {
      for (int64_t e = 1; e <= 3; ++e) store.record_epoch(job.id, tiny_epoch(acc, e, job.seed));
      store.job_finished(job.id, JobStatus::Done, "", 6.5);
    }
  }
  return jobs;
}

}  // namespace ms::test
