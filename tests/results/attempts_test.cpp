// The attempt history (job_attempts, schema v7): each start of a job is one row that says where it
// ran, on how many ranks and what device (v9), from when to when, and how it ended: done,
// diverged, failed, lost (its group's GPU failed), hung or interrupted. The retries of a lost GPU and the memory of a
// failed CUDA graph capture are judged by it, and `status` sums what every attempt cost.
#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "results/reports/job_history.h"
#include "results/reports/sweep_progress.h"
#include "results/store/schema.h"
#include "results/store/sqlite_db.h"
#include "results/store/sweep_admin.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

std::vector<std::string> outcomes(const std::vector<Attempt>& history) {
  std::vector<std::string> out;
  for (const Attempt& a : history) out.push_back(a.outcome);
  return out;
}

TEST(JobAttempts, EachStartIsOneRowWithWhereAndHowItEnded) {
  TempDir dir;
  ResultStore store(dir.file("a.db"), OpenMode::Writer);
  const auto jobs = tiny_jobs();
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  const std::string id = jobs[0].id;
  EXPECT_TRUE(store.attempt_history(id).empty());

  const double before = unix_now();
  store.job_started(id, "node1 (ranks 1-2)", 2);
  std::vector<Attempt> h = store.attempt_history(id);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].number, 1);
  EXPECT_EQ(h[0].outcome, "running");
  EXPECT_EQ(h[0].where, "node1 (ranks 1-2)");
  EXPECT_EQ(h[0].ranks, 2);
  EXPECT_GE(h[0].started_at, before);
  EXPECT_EQ(h[0].ended_at, h[0].started_at);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  store.record_epoch(id, tiny_epoch(0.8, 1, 0));
  EXPECT_GT(store.attempt_history(id)[0].ended_at, h[0].started_at) << "an epoch is a sign of life";
  store.job_finished(id, JobStatus::Failed, "boom: CUDA out of memory", -1);

  store.job_started(id, "node2 (ranks 3-4)", 2);
  store.job_requeued(id, "rank 2 of 2: CUDA error: uncorrectable ECC error encountered");
  store.job_started(id, "node3 (ranks 5-6)", 2);
  store.reset_running("tiny");  // `metasweep stop`
  store.job_started(id, "node3 (ranks 5-6)", 2);
  store.job_finished(id, JobStatus::Done, "", 1.0);

  h = store.attempt_history(id);
  EXPECT_EQ(outcomes(h), (std::vector<std::string>{"failed", "lost", "interrupted", "done"}));
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h[i].number, static_cast<int>(i) + 1);
    EXPECT_GE(h[i].ended_at, h[i].started_at);
    if (i) {
      EXPECT_GE(h[i].started_at, h[i - 1].ended_at);
    }
  }
  EXPECT_EQ(h[0].error, "boom: CUDA out of memory");
  EXPECT_EQ(h[1].error, "rank 2 of 2: CUDA error: uncorrectable ECC error encountered");
  EXPECT_EQ(h[2].error, "");
  EXPECT_EQ(h[3].error, "");
  EXPECT_EQ(store.attempts(id), 4);
  EXPECT_EQ(store.failures(id), 1);
  EXPECT_EQ(store.losses(id), 1);
  EXPECT_EQ(store.status(id), JobStatus::Done);
  EXPECT_EQ(store.error(id), "");
  EXPECT_EQ(store.attempt_history(jobs[1].id).size(), 0u) << "other jobs have none";
}

// A run killed without a word (SIGKILL, a node that died) leaves its attempt open; the next run
// (the writer after it) ends it interrupted at its last recorded epoch, the time it is known to
// have cost at least, not at the moment the next run found it.
TEST(JobAttempts, AKilledRunsAttemptEndsInterruptedAtItsLastEpoch) {
  TempDir dir;
  const std::string path = dir.file("a.db");
  const auto jobs = fill_tiny_db(path);  // batchnorm seed 2 is left running after epoch 1
  const std::string id = jobs[17].id;
  double last_epoch = 0;
  {
    const ResultStore reader(path, OpenMode::ReadOnly);
    const auto h = reader.attempt_history(id);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].outcome, "running");
    last_epoch = h[0].ended_at;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ResultStore store(path, OpenMode::Writer);
  EXPECT_EQ(store.reset_stale_running(), 1);
  const auto h = store.attempt_history(id);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].outcome, "interrupted");
  EXPECT_DOUBLE_EQ(h[0].ended_at, last_epoch);
  EXPECT_EQ(store.losses(id), 0);
  // A caller that starts a job again without ending its attempt: the open one ends interrupted.
  store.job_started(id, "a");
  store.job_started(id, "b");
  EXPECT_EQ(outcomes(store.attempt_history(id)), (std::vector<std::string>{"interrupted", "interrupted", "running"}));
}

// The record of a rank that ended the run (a hang, a GPU lost while partners waited) is read by
// the next run, after the attempt was ended interrupted: that attempt becomes `hung` or `lost`.
TEST(JobAttempts, ARecordedRunEndMarksTheLastAttempt) {
  TempDir dir;
  ResultStore store(dir.file("a.db"), OpenMode::Writer);
  const auto jobs = tiny_jobs();
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  const std::string id = jobs[2].id;
  store.job_started(id, "node1 (rank 1)");
  store.job_finished(id, JobStatus::Failed, "boom", -1);
  store.job_started(id, "node1 (rank 1)");
  store.reset_stale_running();
  const double written_at = unix_now() + 600;  // the record: when the run ended
  store.job_ended_run(id, "hung", "hung: node1, a one-rank group: training step 7 has not finished after 600 s", true,
                      written_at);
  const auto h = store.attempt_history(id);
  EXPECT_EQ(outcomes(h), (std::vector<std::string>{"failed", "hung"}));
  EXPECT_EQ(h[1].error, "hung: node1, a one-rank group: training step 7 has not finished after 600 s");
  EXPECT_DOUBLE_EQ(h[1].ended_at, written_at) << "it ran until the record was written";
  EXPECT_EQ(store.failures(id), 2);
  EXPECT_EQ(store.status(id), JobStatus::Failed);
  // A GPU lost while the job's other ranks waited ends the run too: once free (pending, the
  // message kept), then counted.
  store.job_started(id, "node2 (ranks 1-2)", 2);
  store.reset_stale_running();
  store.job_ended_run(id, "lost", "lost: ECC", false, unix_now());
  EXPECT_EQ(store.status(id), JobStatus::Pending);
  EXPECT_EQ(store.error(id), "lost: ECC");
  EXPECT_EQ(store.failures(id), 2);
  EXPECT_EQ(store.losses(id), 1);
  EXPECT_EQ(outcomes(store.attempt_history(id)), (std::vector<std::string>{"failed", "hung", "lost"}));
  store.job_ended_run(id, "lost", "late", false, unix_now());  // its last attempt ended already: nothing to mark
  EXPECT_EQ(store.attempt_history(id).back().error, "lost: ECC");
  // A record older than the last attempt (a later `train` of the job was interrupted) marks the
  // attempt that ran when it was written, not the later one.
  const double before_train = store.attempt_history(id).back().started_at;
  store.job_started(id, "train node4 x1");
  store.reset_stale_running();
  store.job_ended_run(id, "hung", "hung: old", true, before_train - 3600);
  EXPECT_EQ(outcomes(store.attempt_history(id)), (std::vector<std::string>{"failed", "hung", "lost", "interrupted"}));
}

// --fresh, --retrain-older and `forget --job` start a job over: its history goes with its results,
// and its attempts count from 1 again. `forget --sweep` deletes the job and its history with it.
TEST(JobAttempts, StartingAJobOverDropsItsHistory) {
  TempDir dir;
  const std::string path = dir.file("a.db");
  const auto jobs = fill_tiny_db(path);
  {
    ResultStore store(path, OpenMode::Writer);
    store.reset_jobs({jobs[0].id});
    EXPECT_TRUE(store.attempt_history(jobs[0].id).empty());
    store.job_started(jobs[0].id, "h");
    EXPECT_EQ(store.attempt_history(jobs[0].id).at(0).number, 1);
    EXPECT_EQ(store.attempt_history(jobs[1].id).size(), 1u);
  }
  forget_job(path, jobs[1].id, "");
  {
    const ResultStore reader(path, OpenMode::ReadOnly);
    EXPECT_TRUE(reader.attempt_history(jobs[1].id).empty());
    EXPECT_EQ(reader.attempts(jobs[1].id), 0);
  }
  forget_sweep(path, "tiny", "");
  Database db(path, Database::Access::ReadOnly);
  Statement left(db, "SELECT COUNT(*) FROM job_attempts");
  ASSERT_TRUE(left.step());
  EXPECT_EQ(left.column_int64(0), 0);
}

TEST(JobAttempts, ErrorsAreFoundAsTextAmongTheSweepsMembers) {
  TempDir dir;
  ResultStore store(dir.file("a.db"), OpenMode::Writer);
  const auto jobs = tiny_jobs();
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  store.job_started(jobs[0].id, "h");
  store.job_requeued(jobs[0].id, "capture failed (100% of it_s state)");
  store.job_started(jobs[0].id, "h");  // the retry clears the job's message, not its history
  store.job_started(jobs[1].id, "h");
  store.job_finished(jobs[1].id, JobStatus::Failed, "capture failed (1000 of its state)", -1);
  EXPECT_EQ(store.error(jobs[0].id), "");
  EXPECT_EQ(store.jobs_with_attempt_error("tiny", "100% of it_s"), std::set<std::string>{jobs[0].id});
  EXPECT_EQ(store.jobs_with_attempt_error("tiny", "capture failed").size(), 2u);
  EXPECT_TRUE(store.jobs_with_attempt_error("tiny", "10_% of").empty()) << "no LIKE patterns";
  EXPECT_TRUE(store.jobs_with_attempt_error("other", "capture").empty());
}

// A database from before v7 is read as it is (no history), and the next writer adds the table;
// the job's next attempt is numbered after the attempts counted before.
TEST(JobAttempts, AnOlderDatabaseGainsTheHistoryFromItsNextAttempt) {
  TempDir dir;
  const std::string path = dir.file("a.db");
  const auto jobs = fill_tiny_db(path);
  {
    Database db(path, Database::Access::ReadWrite);
    db.exec(std::string(kUndoSchemaV8) + "DROP TABLE job_attempts; PRAGMA user_version = 6");
  }
  {
    const ResultStore reader(path, OpenMode::ReadOnly);
    EXPECT_EQ(schema_version(reader.db()), 6);
    EXPECT_TRUE(reader.attempt_history(jobs[15].id).empty());
    EXPECT_EQ(reader.losses(jobs[15].id), 0);
    EXPECT_TRUE(reader.jobs_with_attempt_error("tiny", "boom").empty());
  }
  {  // a job that lost its GPU under v6: back to pending with the message kept
    Database db(path, Database::Access::ReadWrite);
    db.exec(
        "UPDATE jobs SET status = 'pending', error = 'rank 1 of 2: CUDA error: uncorrectable ECC error "
        "encountered' WHERE id = '" +
        jobs[0].id + "'");
  }
  ResultStore store(path, OpenMode::Writer);
  EXPECT_EQ(schema_version(store.db()), kSchemaVersion);
  // The migration keeps what the retries are judged by: the last attempt's message, as a loss for
  // a pending job, as its status otherwise; other jobs start their history with their next attempt.
  EXPECT_EQ(store.losses(jobs[0].id), 1);
  EXPECT_EQ(store.jobs_with_attempt_error("tiny", "boom: out of memory"), std::set<std::string>{jobs[15].id});
  EXPECT_EQ(outcomes(store.attempt_history(jobs[12 + 2].id)), std::vector<std::string>{"diverged"});
  EXPECT_TRUE(store.attempt_history(jobs[1].id).empty());
  store.job_started(jobs[15].id, "h");
  const auto h = store.attempt_history(jobs[15].id);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].number, 1);
  EXPECT_EQ(h[0].outcome, "failed");
  EXPECT_EQ(h[0].where, "host-a");
  EXPECT_EQ(h[1].number, 2);
  EXPECT_EQ(h[1].outcome, "running");
}

// Rank time is an attempt's duration times its ranks; `status` sums it by outcome for the sweep
// (an interrupted attempt's at least: until its last recorded epoch), and `status --job` lists one
// job's attempts with their own.
TEST(JobAttempts, StatusSumsWhatTheAttemptsCost) {
  TempDir dir;
  const std::string path = dir.file("a.db");
  const auto jobs = tiny_jobs();
  {
    ResultStore store(path, OpenMode::Writer);
    store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
    const std::string id = jobs[0].id;
    store.job_started(id, "node1 (ranks 1-2)", 2);
    store.attempt_ran_on(id, "2× NVIDIA H100 80GB HBM3");
    store.job_requeued(id, "rank 2 of 2: CUDA error: uncorrectable ECC error encountered\nmore detail");
    store.job_started(id, "node2 (ranks 3-4)", 2);
    store.reset_running("tiny");
    store.job_started(id, "node2 (ranks 3-4)", 2);
    store.job_finished(id, JobStatus::Done, "", 1.0);
    store.job_started(jobs[1].id, "node3 (rank 5)", 1);
    store.job_finished(jobs[1].id, JobStatus::Failed, "boom", -1);
    // Known durations: 600 s lost, 300 s interrupted, 3600 s done (x2 ranks); 90 s failed (x1).
    Database db(path, Database::Access::ReadWrite);
    db.exec(
        "UPDATE job_attempts SET started_at = 1000, ended_at = 1600 WHERE attempt = 1 AND ranks = 2;"
        "UPDATE job_attempts SET started_at = 2000, ended_at = 2300 WHERE attempt = 2;"
        "UPDATE job_attempts SET started_at = 3000, ended_at = 6600 WHERE attempt = 3;"
        "UPDATE job_attempts SET started_at = 1000, ended_at = 1090 WHERE ranks = 1;");
  }
  const ResultStore store(path, OpenMode::ReadOnly);
  const SweepProgress p = sweep_progress(store, "tiny", 7000);
  EXPECT_EQ(p.costs.attempts, 4);
  EXPECT_DOUBLE_EQ(p.costs.rank_s, 2 * (600 + 300 + 3600) + 90);
  const std::string status = format_progress(p, 7000);
  EXPECT_NE(status.find("compute: 2h 31m of rank time in 4 attempt(s): 1 done (2h 00m), 1 failed (1m 30s), 1 lost "
                        "(20m 00s), 1 interrupted (10m 00s at least)"),
            std::string::npos)
      << status;

  const std::string history = format_job_history(store, jobs[0].id.substr(0, 6), 7000);
  EXPECT_EQ(history.rfind("job " + jobs[0].id + " (seed 0)\n  sweep tiny: baseline / baseline\n", 0), 0u) << history;
  EXPECT_NE(history.find("status: done, 3 attempt(s), 0 failed"), std::string::npos) << history;
  const std::regex lost(
      R"(\n +1 +\S+ \S+ +10m 00s +node1 \(ranks 1-2\) +2 +2× NVIDIA H100 80GB HBM3 +lost +rank 2 of 2: CUDA error: )"
      R"(uncorrectable ECC error )"
      R"(encountered \[\.\.\.\]\n)");
  EXPECT_TRUE(std::regex_search(history, lost)) << history;
  EXPECT_TRUE(std::regex_search(
      history, std::regex(R"(\n +2 +\S+ \S+ +>= 5m 00s +node2 \(ranks 3-4\) +2 +- +interrupted +-\n)")))
      << history;
  EXPECT_TRUE(std::regex_search(history, std::regex(R"(\n +3 +\S+ \S+ +1h 00m +node2 \(ranks 3-4\) +2 +- +done +-\n)")))
      << history;
  EXPECT_NE(history.find("compute: 2h 30m of rank time"), std::string::npos) << history;
  EXPECT_EQ(history.find("earlier attempt"), std::string::npos) << history;
}

// What each attempt ran on (schema v9): the epochs it trained say so (not the ones replayed from
// an earlier attempt's checkpoint), and so does its worker group when the job ends, also for an
// attempt that ended before its first epoch. A database from before has none, and gains the
// column from its next writer.
TEST(JobAttempts, EachAttemptKnowsWhatItRanOn) {
  TempDir dir;
  const std::string path = dir.file("a.db");
  const auto jobs = tiny_jobs();
  const std::string id = jobs[0].id;
  {
    ResultStore store(path, OpenMode::Writer);
    store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
    store.job_started(id, "node1 (rank 1)");
    EpochMetrics m = tiny_epoch(0.8, 1, 0);
    m.device = "1× AMD EPYC 7B13 (CPU, 2 threads)";
    store.record_epoch(id, m);
    store.job_finished(id, JobStatus::Failed, "boom", -1);
    store.job_started(id, "node2 (ranks 2-3)", 2);
    store.attempt_ran_on(id, "");  // nothing known: left as it is
    EXPECT_EQ(store.attempt_history(id).back().device, "");
    m.device = "2× NVIDIA H200";
    store.record_epoch(id, m);
    EpochMetrics earlier = tiny_epoch(0.8, 1, 0);
    earlier.device = "1× AMD EPYC 7B13 (CPU, 2 threads)";
    store.record_epoch(id, earlier, /*replayed=*/true);  // trained by attempt 1, re-sent
    store.attempt_ran_on(id, "2× CUDA GPU");             // the report after the GPU was lost: the epochs' name stays
    store.job_requeued(id, "rank 2 of 2: CUDA error: uncorrectable ECC error encountered");
    store.job_started(id, "node3 (ranks 4-5)", 2);
    store.attempt_ran_on(id, "2× NVIDIA A100-SXM4-80GB");  // the group's report: failed before an epoch
    store.job_finished(id, JobStatus::Failed, "CUDA out of memory", -1);
    store.attempt_ran_on(id, "2× other");  // no attempt is running: nothing changes
    store.job_started(jobs[1].id, "node1 (rank 1)");
    store.reset_stale_running();  // killed before an epoch: not known
    const auto h = store.attempt_history(id);
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h[0].device, "1× AMD EPYC 7B13 (CPU, 2 threads)");
    EXPECT_EQ(h[1].device, "2× NVIDIA H200") << "a replayed epoch is not what the attempt ran on";
    EXPECT_EQ(h[2].device, "2× NVIDIA A100-SXM4-80GB");
    EXPECT_EQ(store.attempt_history(jobs[1].id).at(0).device, "");
    const std::string history = format_job_history(store, id, unix_now());
    EXPECT_TRUE(
        std::regex_search(history, std::regex(R"(\n +2 +[^\n]* node2 \(ranks 2-3\) +2 +2× NVIDIA H200 +lost )")))
        << history;
  }
  {  // back to v8: read as it is, upgraded by the next writer
    Database db(path, Database::Access::ReadWrite);
    db.exec(std::string(kUndoSchemaV9) + "PRAGMA user_version = 8");
  }
  {
    const ResultStore reader(path, OpenMode::ReadOnly);
    EXPECT_EQ(schema_version(reader.db()), 8);
    const auto h = reader.attempt_history(id);
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h[0].device, "");
    const std::string history = format_job_history(reader, id, unix_now());
    EXPECT_TRUE(std::regex_search(history, std::regex(R"(\n +1 +[^\n]* node1 \(rank 1\) +1 +- +failed +boom\n)")))
        << history;
  }
  ResultStore store(path, OpenMode::Writer);
  EXPECT_EQ(schema_version(store.db()), kSchemaVersion);
  store.job_started(id, "node1 (rank 1)");
  store.attempt_ran_on(id, "1× NVIDIA H200");
  EXPECT_EQ(store.attempt_history(id).back().device, "1× NVIDIA H200");
  EXPECT_EQ(store.attempt_history(id).front().device, "");
}

}  // namespace
}  // namespace ms::test
