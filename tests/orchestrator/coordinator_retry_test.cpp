// The coordinator's failure policy, without MPI or training: a scripted worker group answers each
// assignment with a chosen outcome. A transient failure (out of memory, CUDA/NCCL errors) is
// retried up to --max-retries and then recorded `failed` with its message; a permanent one is not
// retried; a diverged job is a result; every other job of the sweep still ends `done`.
#include <deque>
#include <map>

#include <gtest/gtest.h>

#include "orchestrator/coordinator.h"
#include "results/store/store.h"
#include "sweeps/errors.h"
#include "sweeps/sweep_spec.h"
#include "tests/test_support.h"
#include "worker/models/model_cost.h"
#include "worker/train/job_error.h"

namespace ms {
namespace {

const char* kRetriesSweep = R"(name: retries
base:
  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16]}
seeds: [0, 1, 2, 3]
)";

// One worker group whose answers are scripted per seed: a list of outcomes, one per attempt
// (the last one repeats). "done" and "diverged" end the job; "transient: MESSAGE" fails it with a
// TransientError, anything else with a std::runtime_error of that message.
class ScriptedGroup : public CoordinatorLink {
 public:
  explicit ScriptedGroup(std::map<int64_t, std::vector<std::string>> script) : script_(std::move(script)) {}
  int num_groups() const override { return 1; }
  std::string group_name(int) const override { return "scripted"; }
  void send(int, MessageKind kind, const std::string& payload) override {
    if (kind != MessageKind::Assign) return;
    const Assignment a = decode_assignment(payload);
    auto& outcomes = script_[a.seed];
    const std::string outcome = outcomes.empty() ? "done" : outcomes.front();
    if (outcomes.size() > 1) outcomes.erase(outcomes.begin());
    ++assignments_[a.seed];
    JobReport r;
    r.job_id = a.job_id;
    if (outcome == "done" || outcome == "diverged") {
      EpochReport e;
      e.job_id = a.job_id;
      e.metrics.epoch = 1;
      e.metrics.test_acc = 0.5;
      replies_.push_back({MessageKind::Epoch, 0, encode(e)});
      r.status = outcome == "done" ? JobStatus::Done : JobStatus::Diverged;
      r.error = outcome == "done" ? "" : "loss became nan in epoch 1";
    } else {  // thrown and classified as the worker loop does: by the exception's type
      const std::string transient = "transient: ";
      const bool is_transient = outcome.rfind(transient, 0) == 0;
      const JobError e =
          classify_job_error(is_transient ? std::make_exception_ptr(TransientError(outcome.substr(transient.size())))
                                          : std::make_exception_ptr(std::runtime_error(outcome)));
      r.status = JobStatus::Failed;
      r.error = e.message;
      r.transient = e.transient;
    }
    replies_.push_back({MessageKind::Finished, 0, encode(r)});
  }
  std::optional<Message> poll() override {
    if (replies_.empty()) return std::nullopt;
    Message m = replies_.front();
    replies_.pop_front();
    return m;
  }
  int assignments(int64_t seed) const { return assignments_.count(seed) ? assignments_.at(seed) : 0; }

 private:
  std::map<int64_t, std::vector<std::string>> script_;
  std::map<int64_t, int> assignments_;
  std::deque<Message> replies_;
};

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
  EXPECT_EQ(s2.skipped_done + s2.done + s2.failed, 4);
}

}  // namespace
}  // namespace ms
