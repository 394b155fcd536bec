// The coordinator's failure policy, without MPI or training: a scripted worker group answers each
// assignment with a chosen outcome. A transient failure (out of memory, CUDA/NCCL errors) is
// retried up to --max-retries and then recorded `failed` with its message; a permanent one is not
// retried; a diverged job is a result; every other job of the sweep still ends `done`.
#include <map>

#include <gtest/gtest.h>

#include "orchestrator/coordinator.h"
#include "results/store/store.h"
#include "sweeps/errors.h"
#include "sweeps/sweep_spec.h"
#include "tests/orchestrator/scripted_group.h"
#include "tests/test_support.h"
#include "worker/models/model_cost.h"

namespace ms {
namespace {

using test::ScriptedGroup;

const char* kRetriesSweep = R"(name: retries
base:
  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16]}
seeds: [0, 1, 2, 3]
)";

TEST(CoordinatorRetries, TransientFailuresRetryPermanentOnesDoNot) {
  test::TempDir dir;
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  ASSERT_EQ(jobs.size(), 4u);
  ScriptedGroup group({{0, {"transient: CUDA out of memory. Tried to allocate 2.00 GiB"}},        // always OOM
                       {1, {"transient: ncclAllReduce failed: unhandled system error", "done"}},  // recovers
                       {2, {"/no/such/dir: cannot open train-images-idx3-ubyte"}},                // permanent
                       {3, {"diverged"}}});
  ResultStore store(dir.file("r.db"), OpenMode::Writer);
  RunSettings settings;
  settings.max_retries = 2;
  const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, group, store, settings);

  EXPECT_EQ(group.assignments(0), 3);  // first attempt + 2 retries
  EXPECT_EQ(group.assignments(1), 2);
  EXPECT_EQ(group.assignments(2), 1);
  EXPECT_EQ(group.assignments(3), 1);
  EXPECT_EQ(s.done, 1);
  EXPECT_EQ(s.diverged, 1);
  EXPECT_EQ(s.failed, 2);
  EXPECT_FALSE(s.interrupted);
  std::map<int64_t, const Job*> by_seed;
  for (const auto& j : jobs) by_seed[j.seed] = &j;
  EXPECT_EQ(store.status(by_seed[0]->id), JobStatus::Failed);
  EXPECT_NE(store.error(by_seed[0]->id).find("out of memory"), std::string::npos);
  EXPECT_EQ(store.attempts(by_seed[0]->id), 3);
  EXPECT_EQ(store.status(by_seed[1]->id), JobStatus::Done);
  EXPECT_EQ(store.status(by_seed[2]->id), JobStatus::Failed);
  EXPECT_NE(store.error(by_seed[2]->id).find("/no/such/dir"), std::string::npos);
  EXPECT_EQ(store.status(by_seed[3]->id), JobStatus::Diverged);

  // A re-run retries nothing that used up its attempts and runs nothing that finished.
  ScriptedGroup again({});
  const RunSummary s2 = run_coordinator(spec, kRetriesSweep, jobs, again, store, settings);
  EXPECT_EQ(again.assignments(0), 0);
  EXPECT_EQ(again.assignments(1), 0);
  EXPECT_EQ(again.assignments(3), 0);
  EXPECT_EQ(s2.skipped_done + s2.done + s2.failed + s2.failed_before, 4);
  EXPECT_EQ(s2.failed_before, 1);  // seed 0, out of attempts: still failed, so the run is not a success
  EXPECT_TRUE(s2.any_failed());
}

}  // namespace
}  // namespace ms
