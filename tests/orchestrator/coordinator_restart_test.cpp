// What a run makes of the state earlier runs left in the database, without MPI or training (a
// scripted worker group answers): jobs a killed run left `running`, also ones an edit of the sweep
// file has since dropped, go back to pending.
#include <gtest/gtest.h>

#include "orchestrator/coordinator.h"
#include "results/store/store.h"
#include "sweeps/sweep_spec.h"
#include "tests/orchestrator/scripted_group.h"
#include "tests/test_support.h"
#include "worker/models/model_cost.h"

namespace ms {
namespace {

using test::ScriptedGroup;

const char* kTwoSeeds = R"(name: restart
base:
  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16]}
seeds: [0, 1]
)";

const char* kOneSeed = R"(name: restart
base:
  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16]}
seeds: [0]
)";

const char* kOtherSweep = R"(name: other
base:
  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16]}
seeds: [5]
)";

struct Sweep {
  SweepSpec spec;
  std::vector<Job> jobs;
  std::string text;
};

Sweep sweep_of(const char* text) {
  Sweep s{parse_sweep(text, "restart.yaml", model_catalog()), {}, text};
  s.jobs = expand_sweep(s.spec, model_catalog());
  return s;
}

TEST(CoordinatorRestart, JobsADeadRunLeftRunningAreResetAlsoWhenTheEditedSweepDroppedThem) {
  test::TempDir dir;
  const std::string db = dir.file("r.db");
  const Sweep two = sweep_of(kTwoSeeds), other = sweep_of(kOtherSweep), one = sweep_of(kOneSeed);
  ASSERT_EQ(two.jobs.size(), 2u);
  const std::string dropped = two.jobs[1].id;  // seed 1
  {  // a run killed while it trained both seeds, and a run of another sweep killed mid-job
    ResultStore store(db, OpenMode::Writer);
    store.register_sweep(two.spec, two.text, two.jobs, false);
    store.register_sweep(other.spec, other.text, other.jobs, false);
    for (const Job& j : two.jobs) store.job_started(j.id, "killed");
    store.job_started(other.jobs[0].id, "killed");
  }
  // The sweep file is edited to drop seed 1, then run again.
  ResultStore store(db, OpenMode::Writer);
  ScriptedGroup group({});
  const RunSummary s = run_coordinator(one.spec, one.text, one.jobs, group, store, RunSettings{});
  EXPECT_EQ(s.done, 1);
  EXPECT_EQ(group.assignments(1), 0) << "a dropped job is not trained";
  EXPECT_EQ(store.status(dropped), JobStatus::Pending) << "left running by the dead run";
  EXPECT_EQ(store.status(other.jobs[0].id), JobStatus::Pending) << "another sweep's job left running";
  Statement running(store.db(), "SELECT COUNT(*) FROM jobs WHERE status = 'running'");
  ASSERT_TRUE(running.step());
  EXPECT_EQ(running.column_int64(0), 0);
}

}  // namespace
}  // namespace ms
