// What a run makes of the state earlier runs left in the database, without MPI or training (a
// scripted worker group answers): jobs a killed run left `running`, also ones an edit of the sweep
// file has since dropped, go back to pending; failed jobs whose attempts are used up keep the run
// from counting as a success and are named in its summary; attempts that a killed or stopped run
// interrupted do not use up a job's retries.
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "orchestrator/coordinator.h"
#include "orchestrator/run_summary.h"
#include "results/store/store.h"
#include "results/store/sweep_admin.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/user_text.h"
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

// A checkpoint from before the database reset its job (`forget --job` while the run's
// --checkpoint-dir was elsewhere: an audit saw the forgotten job resume 11 epochs "from its
// checkpoint") is removed, and said so. One the database merely has no attempt or epoch of (its
// last commits lost in a crash; `train` without --db first) is resumed: its epochs are replayed.
TEST(CoordinatorRestart, ACheckpointFromBeforeTheJobsResetIsNotResumed) {
  test::TempDir dir;
  const Sweep two = sweep_of(kTwoSeeds);
  RunSettings settings;
  settings.checkpoint_dir = dir.file("ck");
  std::filesystem::create_directories(settings.checkpoint_dir);
  const std::string forgotten = two.jobs[0].id, unrecorded = two.jobs[1].id;
  for (const std::string& id : {forgotten, unrecorded})
    for (const char* suffix : {".ckpt", ".ckpt.prev"})
      std::ofstream(settings.checkpoint_dir + "/" + id + suffix) << "epochs 1-11";
  {
    ResultStore store(dir.file("r.db"), OpenMode::Writer);
    store.register_sweep(two.spec, two.text, two.jobs, false);
    store.job_started(forgotten, "an earlier run");
    store.reset_jobs({forgotten});  // forget --job, after its checkpoints were written
  }
  // What each assignment found on disk.
  class Looking : public ScriptedGroup {
   public:
    explicit Looking(std::string dir) : ScriptedGroup({}), dir_(std::move(dir)) {}
    void send(int group, MessageKind kind, const std::string& payload) override {
      if (kind == MessageKind::Assign) {
        const std::string id = decode_assignment(payload).job_id;
        found[id] = std::filesystem::exists(dir_ + "/" + id + ".ckpt");
      }
      ScriptedGroup::send(group, kind, payload);
    }
    std::map<std::string, bool> found;

   private:
    std::string dir_;
  } group(settings.checkpoint_dir);
  ResultStore store(dir.file("r.db"), OpenMode::Writer);
  testing::internal::CaptureStderr();
  const RunSummary s = run_coordinator(two.spec, two.text, two.jobs, group, store, settings);
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.done, 2);
  EXPECT_FALSE(group.found.at(forgotten));
  EXPECT_TRUE(group.found.at(unrecorded)) << "no reset: resumed from its checkpoint, its epochs replayed";
  EXPECT_NE(said.find("job " + forgotten + ": removed its checkpoint in " + settings.checkpoint_dir +
                      " from before the database reset it"),
            std::string::npos)
      << said;
  EXPECT_EQ(said.find("job " + unrecorded + ": removed"), std::string::npos) << said;
  // A checkpoint written after the reset (the retrained attempt's own) is never removed.
  const std::optional<double> reset = store.reset_at(forgotten);
  ASSERT_TRUE(reset);
  std::ofstream(settings.checkpoint_dir + "/" + forgotten + ".ckpt") << "epoch 1 of the new attempt";
  EXPECT_EQ(remove_checkpoints_from_before_reset(store, settings.checkpoint_dir, forgotten), 0);
  EXPECT_EQ(remove_checkpoints(settings.checkpoint_dir, forgotten, *reset + 1e6), 1);
}

TEST(CoordinatorRestart, FailedJobsOutOfAttemptsStillCountAsFailedInALaterRun) {
  test::TempDir dir;
  const std::string db = dir.file("r.db");
  const Sweep two = sweep_of(kTwoSeeds);
  ResultStore store(db, OpenMode::Writer);
  RunSettings settings;
  settings.max_retries = 0;
  ScriptedGroup first({{1, {"/no/such/dir: cannot open train-images-idx3-ubyte"}}});
  const RunSummary s1 = run_coordinator(two.spec, two.text, two.jobs, first, store, settings);
  EXPECT_EQ(s1.done, 1);
  EXPECT_EQ(s1.failed, 1);
  EXPECT_TRUE(s1.any_failed());
  const std::string first_summary = format_run_summary(s1, store, two.spec.name, db);
  EXPECT_NE(first_summary.find("failed in this run:\n  " + two.jobs[1].id +
                               " baseline / baseline seed 1: /no/such/dir: cannot open train-images-idx3-ubyte\n"),
            std::string::npos)
      << first_summary;

  for (int run = 2; run <= 3; ++run) {  // nothing left to run; seed 1 stays failed every time
    ScriptedGroup again({});
    const RunSummary s = run_coordinator(two.spec, two.text, two.jobs, again, store, settings);
    EXPECT_EQ(again.assignments(1), 0);
    EXPECT_EQ(s.done + s.failed, 0);
    EXPECT_EQ(s.skipped_done, 1) << "only the done job counts as finished";
    EXPECT_EQ(s.failed_before, 1);
    EXPECT_EQ(s.failed_before_ids, std::vector<std::string>{two.jobs[1].id});
    EXPECT_EQ(s.retries_needed, 1);
    EXPECT_TRUE(s.any_failed()) << "run " << run << " would exit 0 with a failed job in the sweep";

    const std::string summary = format_run_summary(s, store, two.spec.name, db);
    EXPECT_EQ(summary.rfind("sweep restart: 0 done, 0 diverged, 0 failed, 1 already finished, 1 failed earlier and "
                            "not retried; this run took ",
                            0),
              0u)
        << summary;
    EXPECT_NE(summary.find("  " + two.jobs[1].id + " baseline / baseline seed 1: /no/such/dir: cannot open"),
              std::string::npos)
        << summary;
    EXPECT_NE(summary.find("the same `run` command with --max-retries 1; to start one over: metasweep forget --db " +
                           shell_word(db) + " --job " + two.jobs[1].id),
              std::string::npos)
        << summary;
  }

  // With attempts to spare, the failed job runs again and the sweep ends a success.
  settings.max_retries = 1;
  ScriptedGroup retry({});
  const RunSummary s4 = run_coordinator(two.spec, two.text, two.jobs, retry, store, settings);
  EXPECT_EQ(retry.assignments(1), 1);
  EXPECT_EQ(s4.done, 1);
  EXPECT_EQ(s4.failed_before, 0);
  EXPECT_FALSE(s4.any_failed());
}

TEST(CoordinatorRestart, InterruptedAttemptsDoNotUseUpRetries) {
  test::TempDir dir;
  const std::string db = dir.file("r.db");
  const Sweep one = sweep_of(kOneSeed);
  const std::string id = one.jobs[0].id;
  ResultStore store(db, OpenMode::Writer);
  RunSettings settings;
  settings.max_retries = 1;
  {  // a run killed mid-job (SIGKILL: nothing recorded), then two stopped ones (SIGTERM, `stop`)
    store.register_sweep(one.spec, one.text, one.jobs, false);
    store.job_started(id, "killed");
  }
  for (int run = 0; run < 2; ++run) {
    ScriptedGroup stopped({{0, {"interrupted"}}});
    const RunSummary s = run_coordinator(one.spec, one.text, one.jobs, stopped, store, settings);
    g_stop_signal.store(0);
    ASSERT_TRUE(s.interrupted);
    EXPECT_EQ(store.status(id), JobStatus::Pending);
  }
  EXPECT_EQ(store.attempts(id), 3);
  EXPECT_EQ(store.failures(id), 0);

  // A transient failure now is retried (1 failure <= --max-retries 1), within the run...
  ScriptedGroup flaky({{0, {"transient: CUDA out of memory. Tried to allocate 2.00 GiB", "done"}}});
  const RunSummary s = run_coordinator(one.spec, one.text, one.jobs, flaky, store, settings);
  EXPECT_EQ(flaky.assignments(0), 2);
  EXPECT_EQ(s.done, 1);
  EXPECT_EQ(store.status(id), JobStatus::Done);
  EXPECT_EQ(store.failures(id), 1);

  // ... and across runs: a failure after an interrupted attempt is retried by the next run.
  store.reset_jobs({id});
  ScriptedGroup stopped({{0, {"interrupted"}}});
  ASSERT_TRUE(run_coordinator(one.spec, one.text, one.jobs, stopped, store, settings).interrupted);
  g_stop_signal.store(0);
  ScriptedGroup broken({{0, {"/no/such/dir: cannot open train-images-idx3-ubyte"}}});
  EXPECT_EQ(run_coordinator(one.spec, one.text, one.jobs, broken, store, settings).failed, 1);
  EXPECT_EQ(store.attempts(id), 2);
  EXPECT_EQ(store.failures(id), 1);
  ScriptedGroup again({});
  const RunSummary s2 = run_coordinator(one.spec, one.text, one.jobs, again, store, settings);
  EXPECT_EQ(again.assignments(0), 1) << "1 failure <= --max-retries 1: retried";
  EXPECT_EQ(s2.done, 1);
}

// A group whose job was resumed from a checkpoint of `checkpointed` epochs: it trains the rest,
// then re-sends every epoch as worker_loop.cpp does, the restored ones marked replayed.
class ResumingGroup : public test::OneGroupLink {
 public:
  ResumingGroup(int64_t checkpointed, int64_t epochs)
      : OneGroupLink("resuming"), checkpointed_(checkpointed), epochs_(epochs) {}
  void send(int, MessageKind kind, const std::string& payload) override {
    if (kind != MessageKind::Assign) return;
    const Assignment a = decode_assignment(payload);
    auto epoch = [&](int64_t e, bool replayed) {
      EpochReport r;
      r.job_id = a.job_id;
      r.metrics.epoch = e;
      r.metrics.test_acc = 0.1 * static_cast<double>(e);
      r.replayed = replayed;
      reply(MessageKind::Epoch, encode(r));
    };
    for (int64_t e = checkpointed_ + 1; e <= epochs_; ++e) epoch(e, false);
    for (int64_t e = 1; e <= epochs_; ++e) epoch(e, e <= checkpointed_);
    JobReport done;
    done.job_id = a.job_id;
    done.status = JobStatus::Done;
    reply(MessageKind::Finished, encode(done));
  }

 private:
  int64_t checkpointed_, epochs_;
};

// -v after a kill: the killed run recorded epochs 1-2 of 5, its checkpoint holds 1-3 (epoch 3's
// report died with the run). The resumed attempt trains 4-5 and re-sends 1-5. Printed: 4 and 5
// once each as trained, 3 once as restored from the checkpoint; 1 and 2 not at all.
TEST(CoordinatorRestart, VerbosePrintsTrainedEpochsOnceAndRestoredOnesOnlyWhenTheDatabaseLackedThem) {
  const char* text = R"(name: resume
base:
  task: {dataset: synthetic-images, epochs: 5, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16]}
seeds: [0]
)";
  test::TempDir dir;
  Sweep s{parse_sweep(text, "resume.yaml", model_catalog()), {}, text};
  s.jobs = expand_sweep(s.spec, model_catalog());
  ASSERT_EQ(s.jobs.size(), 1u);
  const std::string id = s.jobs[0].id;
  ResultStore store(dir.file("v.db"), OpenMode::Writer);
  store.register_sweep(s.spec, s.text, s.jobs, false);
  store.job_started(id, "killed");
  for (int64_t e = 1; e <= 2; ++e) {
    EpochMetrics m;
    m.epoch = e;
    m.test_acc = 0.1 * static_cast<double>(e);
    store.record_epoch(id, m);
  }
  std::ostringstream out;
  RunSettings settings;
  settings.verbose = true;
  settings.progress = ProgressOptions{};
  settings.progress.out = &out;
  settings.progress.timestamp = [] { return std::string("T"); };
  ResumingGroup group(3, 5);
  EXPECT_EQ(run_coordinator(s.spec, s.text, s.jobs, group, store, settings).done, 1);
  const std::string log = out.str();
  auto lines_of = [&](int e) {
    const std::string tag = "[" + id + "] epoch " + std::to_string(e) + "/5 ";
    int n = 0;
    for (size_t at = log.find(tag); at != std::string::npos; at = log.find(tag, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(lines_of(1), 0) << log;
  EXPECT_EQ(lines_of(2), 0) << log;
  EXPECT_EQ(lines_of(3), 1) << log;
  EXPECT_EQ(lines_of(4), 1) << log;
  EXPECT_EQ(lines_of(5), 1) << log;
  EXPECT_NE(log.find("epoch 3/5 "), std::string::npos);
  const size_t three = log.find("[" + id + "] epoch 3/5 ");
  EXPECT_NE(log.find("from its checkpoint", three), std::string::npos) << "epoch 3 says it was restored";
  EXPECT_EQ(log.find("from its checkpoint", log.find('\n', three)), std::string::npos)
      << "only epoch 3 was restored without a database row";
  EXPECT_EQ(store.epochs(id).size(), 5u);
  EXPECT_EQ(store.status(id), JobStatus::Done);
}

}  // namespace
}  // namespace ms
