// The coordinator's failure policy, without MPI or training: a scripted worker group answers each
// assignment with a chosen outcome. A transient failure (out of memory, CUDA/NCCL errors) is
// retried up to --max-retries and then recorded `failed` with its message; a permanent one is not
// retried; a diverged job is a result; every other job of the sweep still ends `done`. A group
// whose GPU or communicator failed for good takes no more jobs, and its job runs on another
// without using up a retry (unless a kernel of the job itself faulted).
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "orchestrator/coordinator.h"
#include "orchestrator/worker_settings.h"
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

// Worker groups that answer every assignment with "done", except that the groups in `lose` fail
// their first job as a lost GPU does (a sticky CUDA error, or a failed CUDA graph capture when
// `capture`), classified as the worker loop does.
class GroupsLosingTheirGpu : public CoordinatorLink {
 public:
  GroupsLosingTheirGpu(int groups, std::vector<int> lose, bool capture = false,
                       std::string cuda_error = "CUDA error: uncorrectable ECC error encountered",
                       std::string cursed_job = "")
      : groups_(groups),
        lose_(std::move(lose)),
        capture_(capture),
        cuda_error_(std::move(cuda_error)),
        cursed_job_(std::move(cursed_job)) {}
  int num_groups() const override { return groups_; }
  std::string group_name(int group) const override { return "node" + std::to_string(group) + " (rank 1)"; }
  void send(int group, MessageKind kind, const std::string& payload) override {
    sent[group].push_back(kind);
    if (kind != MessageKind::Assign) return;
    const Assignment a = decode_assignment(payload);
    graphs_off.push_back(a.cuda_graphs_off);
    JobReport r;
    r.job_id = a.job_id;
    // A group in `lose` fails its job (and leaves); so does any group given `cursed_job` (the
    // fault follows that job).
    if (std::find(lose_.begin(), lose_.end(), group) != lose_.end() || a.job_id == cursed_job_) {
      const std::string capture = std::string("CUDA graph capture of the training step failed (") + kCaptureBroken +
                                  "): operation not permitted when stream is capturing";
      const JobError e =
          classify_job_error(capture_ ? std::make_exception_ptr(TransientError(capture))
                                      : std::make_exception_ptr(std::runtime_error("rank 2 of 2: " + cuda_error_)));
      r.status = JobStatus::Failed, r.error = e.message, r.transient = e.transient, r.device_lost = e.device_lost;
      r.capture_failed = e.capture_failed;
    } else {
      EpochReport epoch;
      epoch.job_id = a.job_id;
      epoch.metrics.epoch = 1;
      epoch.metrics.test_acc = 0.5;
      replies_.push_back({MessageKind::Epoch, group, encode(epoch)});
      r.status = JobStatus::Done;
    }
    replies_.push_back({MessageKind::Finished, group, encode(r)});
  }
  std::optional<Message> poll() override {
    if (replies_.empty()) return std::nullopt;
    Message m = replies_.front();
    replies_.pop_front();
    return m;
  }
  std::map<int, std::vector<MessageKind>> sent;  // per group, in order
  std::vector<bool> graphs_off;                  // per assignment, in order: Assignment::cuda_graphs_off

 private:
  int groups_;
  std::vector<int> lose_;
  bool capture_;
  std::string cuda_error_;
  std::string cursed_job_;
  std::deque<Message> replies_;
};

TEST(CoordinatorRetries, AGroupWhoseGpuFailedTakesNoMoreJobs) {
  test::TempDir dir;
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  ResultStore store(dir.file("r.db"), OpenMode::Writer);
  RunSettings settings;
  settings.max_retries = 0;  // the lost group's job is retried all the same: the fault was not its own
  GroupsLosingTheirGpu link(2, {0});
  const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, link, store, settings);
  // Group 0 failed its one job and got nothing more, not even Stop (it has left); group 1 ran all
  // four jobs, the one group 0 failed included.
  EXPECT_EQ(link.sent[0], std::vector<MessageKind>{MessageKind::Assign});
  EXPECT_EQ(std::count(link.sent[1].begin(), link.sent[1].end(), MessageKind::Assign), 4);
  EXPECT_EQ(link.sent[1].back(), MessageKind::Stop);
  EXPECT_EQ(s.done, 4);
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(s.not_run, 0);
  EXPECT_EQ(s.groups_lost, std::vector<std::string>{"node0 (rank 1)"});
  EXPECT_FALSE(s.any_failed());
  for (const Job& j : jobs) {
    EXPECT_EQ(store.status(j.id), JobStatus::Done);
    EXPECT_EQ(store.failures(j.id), 0) << "a lost GPU used up a retry of " << j.id;
  }

  // With no group left, the jobs not run stay for the next run, which runs them (and `run` exits
  // 1 meanwhile).
  test::TempDir dir2;
  ResultStore store2(dir2.file("r.db"), OpenMode::Writer);
  GroupsLosingTheirGpu only(1, {0});
  testing::internal::CaptureStderr();
  const RunSummary lost = run_coordinator(spec, kRetriesSweep, jobs, only, store2, settings);
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("failed (left for the next run): rank 2 of 2: CUDA error: uncorrectable ECC"), std::string::npos)
      << said;
  EXPECT_NE(said.find("4 job(s) not run: every worker group's GPU or communicator failed"), std::string::npos) << said;
  EXPECT_EQ(only.sent[0], std::vector<MessageKind>{MessageKind::Assign});
  EXPECT_EQ(lost.not_run, 4);  // the failed one queued for its retry, and three never started
  EXPECT_EQ(lost.failed, 0);
  EXPECT_TRUE(lost.any_failed());
  // In the database the job whose group was lost waits as pending, with what ended its attempt,
  // not as failed.
  int pending_with_error = 0;
  for (const Job& j : jobs) {
    EXPECT_EQ(store2.status(j.id), JobStatus::Pending);
    EXPECT_EQ(store2.failures(j.id), 0);
    pending_with_error += store2.error(j.id).find("uncorrectable ECC") != std::string::npos;
  }
  EXPECT_EQ(pending_with_error, 1);
  GroupsLosingTheirGpu repaired(1, {});
  const RunSummary again = run_coordinator(spec, kRetriesSweep, jobs, repaired, store2, settings);
  EXPECT_EQ(again.done, 4);
  EXPECT_FALSE(again.any_failed());
}

// A kernel's own fault (an illegal memory access) loses the group too, but is the job's: it fails
// for good, as it would on any GPU.
TEST(CoordinatorRetries, AKernelFaultLosesTheGroupAndFailsTheJob) {
  test::TempDir dir;
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  ResultStore store(dir.file("r.db"), OpenMode::Writer);
  RunSettings settings;
  settings.max_retries = 2;
  GroupsLosingTheirGpu link(2, {0}, /*capture=*/false, "CUDA error: an illegal memory access was encountered");
  const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, link, store, settings);
  EXPECT_EQ(s.groups_lost.size(), 1u);
  EXPECT_EQ(s.done, 3);
  EXPECT_EQ(s.failed, 1);
  int failed = 0;
  for (const Job& j : jobs) failed += store.status(j.id) == JobStatus::Failed && store.failures(j.id) == 1;
  EXPECT_EQ(failed, 1);
}

// A launch failure counts as a hardware fault, but may be the job's own kernel: then it follows the
// job from group to group. Only the first loss is free; the second counts as a failure, so the job
// ends `failed` (here at once, --max-retries 0) instead of retiring every group, in every run.
TEST(CoordinatorRetries, AFaultThatFollowsTheJobCountsFromItsSecondLoss) {
  test::TempDir dir;
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  RunSettings settings;
  settings.max_retries = 0;
  const std::string launch = "CUDA error: unspecified launch failure";
  {
    ResultStore store(dir.file("in_one_run.db"), OpenMode::Writer);
    GroupsLosingTheirGpu link(3, {}, false, launch, jobs[1].id);
    const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, link, store, settings);
    EXPECT_EQ(s.groups_lost.size(), 2u);
    EXPECT_EQ(s.failed, 1);
    EXPECT_EQ(s.done, 3);
    EXPECT_EQ(store.status(jobs[1].id), JobStatus::Failed);
    EXPECT_EQ(store.failures(jobs[1].id), 1);
    std::vector<std::string> outcomes;
    for (const Attempt& a : store.attempt_history(jobs[1].id)) outcomes.push_back(a.outcome);
    EXPECT_EQ(outcomes, (std::vector<std::string>{"lost", "lost"})) << "the second loss, counted, is a loss too";
  }
  // With one group (`run` without mpirun) each run loses it: the second run's loss counts, and the
  // third runs the other jobs.
  ResultStore store(dir.file("runs.db"), OpenMode::Writer);
  for (int run = 1; run <= 3; ++run) {
    SCOPED_TRACE(run);
    GroupsLosingTheirGpu link(1, {}, false, launch, jobs[0].id);
    testing::internal::CaptureStderr();
    const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, link, store, settings);
    testing::internal::GetCapturedStderr();
    EXPECT_EQ(store.status(jobs[0].id), run == 1 ? JobStatus::Pending : JobStatus::Failed);
    EXPECT_EQ(s.groups_lost.size(), run < 3 ? 1u : 0u);
    EXPECT_EQ(s.done, run < 3 ? 0 : 3);
  }
}

// A run that a hang of a job ended (its worker's watchdog recorded the message beside the job's
// checkpoint, then aborted) counts as that job's failed attempt in the next run: retried while
// --max-retries allows, else failed with the hang's message, so a hang that follows a job cannot
// end every run.
TEST(CoordinatorRetries, AHangRecordedByTheLastRunIsAFailedAttempt) {
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  for (const int max_retries : {1, 0}) {
    SCOPED_TRACE(max_retries);
    test::TempDir dir;
    RunSettings settings;
    settings.max_retries = max_retries;
    settings.checkpoint_dir = dir.file("ckpt");
    std::filesystem::create_directories(settings.checkpoint_dir);
    const std::string record = hang_record_path(settings.checkpoint_dir + "/" + jobs[2].id + ".ckpt");
    std::ofstream(record) << kHungRecordPrefix << "node3, a one-rank group (job " << jobs[2].id
                          << "): training step 7 of 9 in epoch 1 (on cuda:0) has not finished after 600 s\n";
    ResultStore store(dir.file("r.db"), OpenMode::Writer);
    store.register_sweep(spec, kRetriesSweep, jobs, false);
    store.job_started(jobs[2].id, "node3 (rank 1)");  // the run that hung in it, then aborted
    GroupsLosingTheirGpu link(1, {});
    testing::internal::CaptureStderr();
    const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, link, store, settings);
    const std::string said = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(std::filesystem::exists(record)) << "the record is read once";
    EXPECT_EQ(store.failures(jobs[2].id), 1);
    const std::vector<Attempt> history = store.attempt_history(jobs[2].id);
    ASSERT_EQ(history.size(), max_retries == 1 ? 2u : 1u);
    EXPECT_EQ(history[0].outcome, "hung");
    EXPECT_EQ(history[0].error.rfind("hung: node3", 0), 0u) << history[0].error;
    if (max_retries == 1) {
      EXPECT_EQ(history[1].outcome, "done");
    }
    EXPECT_NE(said.find(jobs[2].id + " (baseline / baseline seed 2) hung in an earlier run"), std::string::npos)
        << said;
    if (max_retries == 1) {
      EXPECT_EQ(s.done, 4);
      EXPECT_EQ(store.status(jobs[2].id), JobStatus::Done);
    } else {
      EXPECT_EQ(s.done, 3);
      EXPECT_EQ(s.failed, 1);
      EXPECT_EQ(std::count(link.sent[0].begin(), link.sent[0].end(), MessageKind::Assign), 3);
      EXPECT_EQ(store.status(jobs[2].id), JobStatus::Failed);
      EXPECT_EQ(store.error(jobs[2].id).rfind("hung: node3, a one-rank group (job " + jobs[2].id + ")", 0), 0u)
          << store.error(jobs[2].id);
    }
  }
}

// A rank whose GPU failed while its partners waited in a collective ends the run (it cannot free
// them) and leaves why beside the checkpoint: the next run counts it as a loss of the job's
// group, free the first time (the job runs again, --max-retries 0 notwithstanding), a failure
// when the job lost a group before, so a fault that follows the job cannot end every run.
TEST(CoordinatorRetries, AGpuLostWhileThePartnersWaitedIsALossInTheNextRun) {
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  const std::string id = jobs[1].id;
  for (const bool lost_before : {false, true}) {
    SCOPED_TRACE(lost_before);
    test::TempDir dir;
    RunSettings settings;
    settings.max_retries = 0;
    settings.checkpoint_dir = dir.file("ckpt");
    std::filesystem::create_directories(settings.checkpoint_dir);
    ResultStore store(dir.file("r.db"), OpenMode::Writer);
    store.register_sweep(spec, kRetriesSweep, jobs, false);
    if (lost_before) {
      store.job_started(id, "node2 (ranks 1-2)", 2);
      store.job_requeued(id, "rank 1 of 2: CUDA error: uncorrectable ECC error encountered");
    }
    store.job_started(id, "node3 (ranks 3-4)", 2);  // the run it ended
    const std::string record = hang_record_path(settings.checkpoint_dir + "/" + id + ".ckpt");
    const std::string message = "node3: job " + id +
                                " failed on this rank for good (CUDA error: unspecified launch failure) and the "
                                "other ranks of its group did not come back from the job within 120 s";
    std::ofstream(record) << kLostRecordPrefix << message << "\n";
    GroupsLosingTheirGpu link(1, {});
    testing::internal::CaptureStderr();
    const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, link, store, settings);
    const std::string said = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(std::filesystem::exists(record)) << "the record is read once";
    std::vector<std::string> outcomes;
    for (const Attempt& a : store.attempt_history(id)) outcomes.push_back(a.outcome);
    if (!lost_before) {
      EXPECT_EQ(s.done, 4);
      EXPECT_EQ(store.failures(id), 0);
      EXPECT_EQ(outcomes, (std::vector<std::string>{"lost", "done"}));
      EXPECT_EQ(store.attempt_history(id)[0].error, message);
      EXPECT_NE(said.find("job " + id +
                          " (baseline / baseline seed 1) lost its group's GPU in an earlier run, ending "
                          "it (not counted against --max-retries the first time; retrying): " +
                          message),
                std::string::npos)
          << said;
    } else {
      EXPECT_EQ(s.done, 3);
      EXPECT_EQ(s.failed, 1);
      EXPECT_EQ(store.status(id), JobStatus::Failed);
      EXPECT_EQ(store.failures(id), 1);
      EXPECT_EQ(store.error(id), message);
      EXPECT_EQ(outcomes, (std::vector<std::string>{"lost", "lost"}));
      EXPECT_NE(said.find("(a failed attempt; its retries are used up)"), std::string::npos) << said;
    }
  }
}

// The same record for a fault of the job's own kernel (illegal memory access: it would recur
// anywhere) fails the job at once, as the coordinator does when it hears of one, retries left or not.
TEST(CoordinatorRetries, AKernelFaultThatEndedTheRunFailsTheJob) {
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  const std::string id = jobs[1].id;
  test::TempDir dir;
  RunSettings settings;
  settings.max_retries = 2;
  settings.checkpoint_dir = dir.file("ckpt");
  std::filesystem::create_directories(settings.checkpoint_dir);
  ResultStore store(dir.file("r.db"), OpenMode::Writer);
  store.register_sweep(spec, kRetriesSweep, jobs, false);
  store.job_started(id, "node3 (ranks 3-4)", 2);
  const std::string message = "node3: job " + id +
                              " failed on this rank for good (CUDA error: an illegal memory access "
                              "was encountered) and the other ranks of its group did not come back";
  std::ofstream(hang_record_path(settings.checkpoint_dir + "/" + id + ".ckpt"))
      << kFailedRecordPrefix << message << "\n";
  GroupsLosingTheirGpu link(1, {});
  testing::internal::CaptureStderr();
  const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, link, store, settings);
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.done, 3);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(store.status(id), JobStatus::Failed);
  EXPECT_EQ(store.error(id), message);
  EXPECT_EQ(store.attempt_history(id).at(0).outcome, "failed");
  EXPECT_NE(said.find("faulted on its GPU in an earlier run, ending it (a fault of its own kernel: failed, not "
                      "retried)"),
            std::string::npos)
      << said;
}

// An attempt that a stopped or killed run interrupted is not a loss: a job interrupted once (the end
// of an allocation) whose group then loses its GPU still runs again without using up a retry.
TEST(CoordinatorRetries, AnInterruptedAttemptLeavesTheFreeLossFree) {
  test::TempDir dir;
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  ResultStore store(dir.file("r.db"), OpenMode::Writer);
  store.register_sweep(spec, kRetriesSweep, jobs, false);
  store.job_started(jobs[0].id, "node9 (rank 1)");  // then the run was killed
  RunSettings settings;
  settings.max_retries = 0;
  settings.ranks_per_job = 2;
  GroupsLosingTheirGpu link(2, {0});  // group 0 takes jobs[0] first and loses its GPU
  testing::internal::CaptureStderr();
  const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, link, store, settings);
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.done, 4);
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(store.failures(jobs[0].id), 0);
  const std::vector<Attempt> history = store.attempt_history(jobs[0].id);
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].outcome, "interrupted");
  EXPECT_EQ(history[1].outcome, "lost");
  EXPECT_EQ(history[1].where, "node0 (rank 1)");
  EXPECT_EQ(history[1].ranks, 2);
  EXPECT_NE(history[1].error.find("uncorrectable ECC error"), std::string::npos) << history[1].error;
  EXPECT_EQ(history[2].outcome, "done");
  EXPECT_EQ(history[2].where, "node1 (rank 1)");
}

// The memory of a failed capture outlives the retry's own attempt: when a run starts the retried
// job (its message cleared) and is killed, the next run still trains the configuration without
// graphs from its first job.
TEST(CoordinatorRetries, AFailedCaptureIsRememberedPastAnInterruptedRetry) {
  test::TempDir dir;
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  ResultStore store(dir.file("r.db"), OpenMode::Writer);
  RunSettings settings;
  GroupsLosingTheirGpu alone(1, {0}, /*capture=*/true);
  testing::internal::CaptureStderr();
  run_coordinator(spec, kRetriesSweep, jobs, alone, store, settings);
  testing::internal::GetCapturedStderr();
  ASSERT_EQ(store.status(jobs[0].id), JobStatus::Pending);
  store.job_started(jobs[0].id, "node0 (rank 1)");  // a run retries it without graphs, and dies
  EXPECT_EQ(store.error(jobs[0].id), "");
  GroupsLosingTheirGpu next(1, {});
  EXPECT_EQ(run_coordinator(spec, kRetriesSweep, jobs, next, store, settings).done, 4);
  EXPECT_EQ(next.graphs_off, (std::vector<bool>{true, true, true, true}));
}

// A failed CUDA graph capture loses its group too (the process's CUDA state is unusable), and
// from then on every job of that configuration, the failed one's retry included, trains without
// graphs: one uncapturable variant costs one group, not one per seed.
TEST(CoordinatorRetries, AConfigWhoseCaptureFailedTrainsWithoutGraphs) {
  test::TempDir dir;
  const SweepSpec spec = parse_sweep(kRetriesSweep, "retries.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());  // one config, four seeds
  ResultStore store(dir.file("r.db"), OpenMode::Writer);
  RunSettings settings;
  settings.max_retries = 1;
  GroupsLosingTheirGpu link(2, {0}, /*capture=*/true);
  const RunSummary s = run_coordinator(spec, kRetriesSweep, jobs, link, store, settings);
  EXPECT_EQ(s.done, 4);
  EXPECT_EQ(s.groups_lost.size(), 1u);
  // The first two went out before the failure was known; the other two and the retry after it.
  EXPECT_EQ(link.graphs_off, (std::vector<bool>{false, false, true, true, true}));

  // Run alone (one group), the capture loses the only group; the next run of the sweep knows it
  // from the database and trains that configuration without graphs from its first job.
  test::TempDir dir2;
  ResultStore store2(dir2.file("r.db"), OpenMode::Writer);
  GroupsLosingTheirGpu alone(1, {0}, /*capture=*/true);
  testing::internal::CaptureStderr();
  run_coordinator(spec, kRetriesSweep, jobs, alone, store2, settings);
  testing::internal::GetCapturedStderr();
  EXPECT_EQ(alone.graphs_off, std::vector<bool>{false});
  GroupsLosingTheirGpu next(1, {});
  EXPECT_EQ(run_coordinator(spec, kRetriesSweep, jobs, next, store2, settings).done, 4);
  EXPECT_EQ(next.graphs_off, (std::vector<bool>{true, true, true, true}));
}

}  // namespace
}  // namespace ms
