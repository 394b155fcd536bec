// ResultStore: schema, register/resume/fresh semantics, shared jobs, epochs, run lock.
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "results/reports/ablation.h"
#include "results/reports/epochs.h"
#include "results/store/query.h"
#include "results/store/run_lock.h"
#include "results/store/schema.h"
#include "results/store/sqlite_db.h"
#include "sweeps/errors.h"
#include "sweeps/version.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

int64_t count(const ResultStore& store, const std::string& sql) {
  Statement s(store.db(), sql);
  return s.step() ? s.column_int64(0) : -1;
}

TEST(ResultStore, ReadOnlyOnMissingFileIsUsageError) {
  TempDir dir;
  try {
    ResultStore store(dir.file("none.db"), OpenMode::ReadOnly);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no such database"), std::string::npos) << e.what();
  }
}

// Reading a WAL database creates its -wal and -shm files; a reader closing last removes them
// (a SQLITE_OPEN_READONLY connection could not, and every `results` left two files behind), and
// it still cannot write: not the results, not the schema.
TEST(ResultStore, AReaderLeavesNoFilesBesideTheDatabaseAndCannotWrite) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  fill_tiny_db(path);
  std::filesystem::remove(path + ".lock");
  ASSERT_FALSE(std::filesystem::exists(path + "-wal"));
  const std::string before = read_file(path);
  {
    const ResultStore reader(path, OpenMode::ReadOnly);
    EXPECT_GT(count(reader, "SELECT count(*) FROM jobs"), 0);
    EXPECT_THROW(Statement(reader.db(), "DELETE FROM jobs").run(), std::runtime_error);
    EXPECT_THROW(Statement(reader.db(), "CREATE TABLE t (x)").run(), std::runtime_error);
  }
  for (const char* suffix : {"-wal", "-shm", "-journal", ".lock"})
    EXPECT_FALSE(std::filesystem::exists(path + suffix)) << "left " << suffix;
  EXPECT_TRUE(read_file(path) == before) << "the reader changed the database";
}

// Another program's WAL database left with its -wal file (it was killed): a reader refusing it
// leaves the file and its -wal byte for byte (a read-write reader closing last would fold the
// log into the file).
TEST(ResultStore, AReaderNeverFoldsALogItFindsIntoTheFile) {
  TempDir dir;
  const std::string path = dir.file("foreign.db");
  const pid_t child = fork();
  if (child == 0) {  // writes through the log and exits without closing, as a killed program
    Database db(path, Database::Access::ReadWrite);
    db.exec("CREATE TABLE t (x)");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.exec("INSERT INTO t VALUES (1)");
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(std::filesystem::exists(path + "-wal"));
  const std::string db_before = read_file(path), wal_before = read_file(path + "-wal");
  ASSERT_FALSE(wal_before.empty());
  EXPECT_THROW(ResultStore(path, OpenMode::ReadOnly), UsageError);  // not a metasweep database
  EXPECT_TRUE(read_file(path) == db_before) << "the reader changed the database";
  ASSERT_TRUE(std::filesystem::exists(path + "-wal"));
  EXPECT_TRUE(read_file(path + "-wal") == wal_before) << "the reader changed the -wal file";
}

// A reader in the moment a run has created the file and holds its lock but has not written the
// schema is told so, not that the file is no metasweep database.
TEST(ResultStore, AReaderOfADatabaseARunIsCreatingIsTooEarly) {
  TempDir dir;
  const std::string path = dir.file("new.db");
  const RunLock lock(path);
  { std::ofstream(path, std::ios::binary); }  // empty, as SQLite leaves it until the first write
  try {
    ResultStore store(path, OpenMode::ReadOnly);
    FAIL() << "read";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("is being created by a metasweep run (pid " + std::to_string(getpid()) +
                                         ") and holds no sweep yet: try again in a moment"),
              std::string::npos)
        << e.what();
  }
}

TEST(ResultStore, RegisterInsertsPendingJobsInSweepOrder) {
  TempDir dir;
  const auto jobs = tiny_jobs();
  ASSERT_EQ(jobs.size(), 18u);
  ResultStore store(dir.file("r.db"), OpenMode::Writer);
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  EXPECT_EQ(store.sweeps(), std::vector<std::string>{"tiny"});
  const auto runnable = store.runnable_jobs("tiny", 0);
  ASSERT_EQ(runnable.size(), jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(runnable[i], jobs[i].id);
  }
  EXPECT_EQ(store.status(jobs[0].id), JobStatus::Pending);
  EXPECT_EQ(store.attempts(jobs[0].id), 0);
  const auto info = store.sweep_info("tiny");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->sections, (std::vector<std::string>{"baseline", "token mixer", "hybrid stages", "normalization"}));
  EXPECT_EQ(info->yaml, kTinySweep);
  EXPECT_EQ(info->reference_metric, "ImageNet top-1 (%)");
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM sweep_jobs WHERE reference IS NOT NULL"), 12);
  EXPECT_EQ(count(store, "SELECT epochs_total FROM jobs LIMIT 1"), 3);
  EXPECT_EQ(count(store, "PRAGMA user_version"), kSchemaVersion);
}

TEST(ResultStore, RegisterIsIdempotentAndResumeKeepsState) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const auto jobs = fill_tiny_db(path);
  ResultStore store(path, OpenMode::Writer);
  const int64_t epochs_before = count(store, "SELECT COUNT(*) FROM epochs");
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM jobs"), 18);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM sweep_jobs"), 18);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM epochs"), epochs_before);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM jobs WHERE status = 'done'"), 15);
  // Resume: the running job (interrupted) and the failed one (1 attempt) remain to do.
  store.reset_running("tiny");
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM jobs WHERE status = 'running'"), 0);
  const auto retry = store.runnable_jobs("tiny", 1);
  ASSERT_EQ(retry.size(), 2u);
  EXPECT_EQ(retry[0], jobs[15].id);  // batchnorm seed 0, failed once
  EXPECT_EQ(retry[1], jobs[17].id);  // batchnorm seed 2, interrupted
  EXPECT_EQ(store.runnable_jobs("tiny", 0), std::vector<std::string>{jobs[17].id});
  EXPECT_EQ(store.error(jobs[15].id), "boom: out of memory");
  store.job_started(jobs[15].id, "host-b");
  EXPECT_EQ(store.attempts(jobs[15].id), 2);
  EXPECT_EQ(store.status(jobs[15].id), JobStatus::Running);
}

TEST(ResultStore, FailuresAreCountedApartFromAttemptsAndMigratedFromVersion4) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const auto jobs = tiny_jobs();
  {
    ResultStore store(path, OpenMode::Writer);
    store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
    for (int i = 0; i < 2; ++i) store.job_started(jobs[0].id, "h");  // one interrupted, one failed
    store.job_finished(jobs[0].id, JobStatus::Failed, "boom", -1);
    store.job_started(jobs[1].id, "h");
    store.job_finished(jobs[1].id, JobStatus::Done, "", 1.0);
    EXPECT_EQ(store.attempts(jobs[0].id), 2);
    EXPECT_EQ(store.failures(jobs[0].id), 1);
    EXPECT_EQ(store.failures(jobs[1].id), 0);
    EXPECT_EQ(store.runnable_jobs("tiny", 1).front(), jobs[0].id);  // 1 failure <= 1
    store.job_started(jobs[2].id, "h");
    store.job_finished(jobs[2].id, JobStatus::Failed, "boom", -1);
  }
  {  // what metasweep wrote with schema v4: failed attempts were not counted apart
    Database db(path, Database::Access::ReadWrite);
    db.exec(std::string(kUndoSchemaV6) + "ALTER TABLE jobs DROP COLUMN failures; PRAGMA user_version = 4");
  }
  ResultStore store(path, OpenMode::Writer);
  EXPECT_EQ(count(store, "PRAGMA user_version"), kSchemaVersion);
  EXPECT_EQ(store.failures(jobs[0].id), 2) << "a failed v4 job keeps its attempts as failures";
  EXPECT_EQ(store.failures(jobs[1].id), 0);
  EXPECT_EQ(store.failures(jobs[2].id), 1);
}

// A training-semantics bump marks (and `run --retrain-older` retrains) only the jobs whose
// configs it changed: semantics 4 changed subsets of image files, not synthetic images.
TEST(ResultStore, OnlyJobsWhoseTrainingALaterSemanticsChangedAreOlder) {
  EXPECT_EQ(semantics_needed(nlohmann::json::parse(R"({"task": {"dataset": "fashion-mnist", "train_subset": 10}})")),
            3);
  EXPECT_EQ(semantics_needed(nlohmann::json::parse(R"({"task": {"dataset": "imagefolder", "train_subset": 0}})")), 3);
  EXPECT_EQ(semantics_needed(nlohmann::json::parse(R"({"task": {"dataset": "webdataset", "test_subset": 5}})")), 4);
  EXPECT_EQ(semantics_needed(nlohmann::json::parse(R"({"task": {"dataset": "imagefolder", "train_subset": 9}})")), 4);
  TempDir dir;
  const std::vector<Job> jobs = fill_tiny_db(dir.file("s.db"));
  {
    Database raw(dir.file("s.db"), Database::Access::ReadWrite);
    raw.exec("UPDATE jobs SET semantics = 3");
    raw.exec(
        "UPDATE jobs SET config = json_set(config, '$.task.dataset', 'imagefolder', '$.task.train_subset', 100) "
        "WHERE id = '" +
        jobs[1].id + "'");
    raw.exec("UPDATE jobs SET semantics = NULL WHERE id = '" + jobs[2].id + "'");  // not recorded: older
  }
  const ResultStore store(dir.file("s.db"), OpenMode::ReadOnly);
  EXPECT_EQ(store.jobs_trained_before("tiny"), (std::vector<std::string>{jobs[1].id, jobs[2].id}));
  const AblationTable t = build_ablation(store, "tiny");
  EXPECT_EQ(t.older_done, 2);
  EXPECT_EQ(t.current_done, 13);
  EXPECT_NE(ablation_markdown(t).find(" Versions: 2 done job(s) trained by an older metasweep whose training of their "
                                      "configs this one changed (training semantics before 4 or not recorded), 13 as "
                                      "this one trains: the table mixes them."),
            std::string::npos);
}

TEST(ResultStore, RecordEpochReplacesAndDropsStaleEpochs) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const auto jobs = fill_tiny_db(path);
  ResultStore store(path, OpenMode::Writer);
  const std::string id = jobs[0].id;
  EXPECT_EQ(store.epochs(id).size(), 3u);
  // A restart from scratch re-records epoch 1: epochs 2 and 3 of the abandoned attempt go.
  store.record_epoch(id, tiny_epoch(0.5, 1, 0));
  const auto epochs = store.epochs(id);
  ASSERT_EQ(epochs.size(), 1u);
  EXPECT_DOUBLE_EQ(epochs[0].test_acc, 0.5 * 0.6);
  EXPECT_EQ(count(store, "SELECT epochs_done FROM jobs WHERE id = '" + id + "'"), 1);
}

// A job resumed from a checkpoint reports only its last attempt's wall time; its recorded
// epochs (2 s each here, earlier attempts' included) say what the result cost (a cluster audit
// saw 0.76 s against 2.91 s of epochs).
TEST(ResultStore, AResumedJobsWallTimeCountsEveryRecordedEpoch) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const auto jobs = fill_tiny_db(path);
  ResultStore store(path, OpenMode::Writer);
  const std::string id = jobs[0].id;
  auto wall = [&] {
    Statement s(store.db(), "SELECT wall_s FROM jobs WHERE id = ?1");
    s.bind(1, id);
    EXPECT_TRUE(s.step());
    return s.column_double(0);
  };
  ASSERT_EQ(store.epochs(id).size(), 3u);
  store.job_finished(id, JobStatus::Done, "", 0.75);  // resumed for its last epoch
  EXPECT_DOUBLE_EQ(wall(), 6.0);
  store.job_finished(id, JobStatus::Done, "", 6.5);  // one attempt: set-up included
  EXPECT_DOUBLE_EQ(wall(), 6.5);
  store.job_finished(id, JobStatus::Failed, "boom", -1);  // no time reported: kept
  EXPECT_DOUBLE_EQ(wall(), 6.5);
}

TEST(ResultStore, FreshResetsTheSweepAndDropsOldMemberships) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  auto jobs = fill_tiny_db(path);
  ResultStore store(path, OpenMode::Writer);
  jobs.pop_back();  // the file no longer has batchnorm seed 2
  store.register_sweep(tiny_spec(), kTinySweep, jobs, true);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM sweep_jobs WHERE sweep = 'tiny'"), 17);
  EXPECT_EQ(store.runnable_jobs("tiny", 0).size(), 17u);
  for (const auto& job : jobs) {
    EXPECT_EQ(store.status(job.id), JobStatus::Pending);
    EXPECT_EQ(store.attempts(job.id), 0);
    EXPECT_TRUE(store.epochs(job.id).empty());
  }
  // The member this edit drops is started over too (as `forget --sweep` forgets it): kept in the
  // database as a former member, without the results from before the fresh start.
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM jobs WHERE test_acc IS NOT NULL OR error IS NOT NULL"), 0);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM removed_sweep_jobs WHERE sweep = 'tiny'"), 1);
}

// A fresh start also starts over the jobs an earlier edit removed: re-added later (a seed put
// back), one retrained instead of bringing back a result from before the fresh start (an audit:
// "6 already finished", two of them older than the --fresh run).
TEST(ResultStore, FreshStartsOverTheJobsAnEarlierEditRemoved) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const auto jobs = fill_tiny_db(path);
  ResultStore store(path, OpenMode::Writer);
  std::vector<Job> without_seed_1;
  for (const Job& job : jobs)
    if (job.seed != 1) without_seed_1.push_back(job);
  store.register_sweep(tiny_spec(), kTinySweep, without_seed_1, false);  // an edit drops seed 1
  ASSERT_EQ(store.status(jobs[1].id), JobStatus::Done);
  ASSERT_EQ(jobs[4].seed, 1);
  SweepSpec other = tiny_spec();  // another sweep names one of them: it stays as it is
  other.name = "other";
  std::vector<Job> theirs = {jobs[4]};
  theirs[0].sweep = "other";
  store.register_sweep(other, "name: other\n", theirs, false);
  const MembershipChange change = store.register_sweep(tiny_spec(), kTinySweep, without_seed_1, true);
  EXPECT_EQ(change.reset.size(), jobs.size() - 1);  // the 12 current and 5 of the 6 removed
  EXPECT_EQ(change.former_reset, 5);
  EXPECT_EQ(store.status(jobs[1].id), JobStatus::Pending);
  EXPECT_TRUE(store.epochs(jobs[1].id).empty());
  EXPECT_EQ(store.status(jobs[4].id), JobStatus::Done);
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);  // seed 1 back
  EXPECT_EQ(store.runnable_jobs("tiny", 0).size(), jobs.size() - 1);
}

TEST(ResultStore, JobSharedByTwoSweepsIsOneJob) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const auto jobs = fill_tiny_db(path);
  ResultStore store(path, OpenMode::Writer);
  SweepSpec other = tiny_spec();
  other.name = "other";
  std::vector<Job> shared(jobs.begin(), jobs.begin() + 3);  // the baseline, same ids
  for (auto& job : shared) job.sweep = "other";
  store.register_sweep(other, "name: other\n", shared, false);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM jobs"), 18);
  EXPECT_EQ(count(store, "SELECT COUNT(*) FROM sweep_jobs WHERE job_id = '" + jobs[0].id + "'"), 2);
  EXPECT_TRUE(store.runnable_jobs("other", 5).empty());  // trained once, done for both
  EXPECT_EQ(store.status_counts("other")[JobStatus::Done], 3);
  EXPECT_EQ(store.sweeps(), (std::vector<std::string>{"tiny", "other"}));
  // Grouped across both sweeps by anything but the sweep, it is one result, not one per sweep
  // (an audit saw n = 6 for 3 jobs, and the std of the duplicated values).
  const std::vector<GroupRow> groups = group_jobs(select_jobs(store, ResultQuery{}), {"section", "variant"});
  ASSERT_EQ(groups[0].values, (std::vector<std::string>{"baseline", "baseline"}));
  EXPECT_EQ(groups[0].jobs.size(), 3u);
  EXPECT_EQ(groups[0].metrics.at("test_acc").n, 3);
  EXPECT_EQ(groups[0].status_counts[JobStatus::Done], 3);
  EXPECT_EQ(group_jobs(select_jobs(store, ResultQuery{}), {"sweep", "section", "variant"}).size(), 7u);
  // Its learning curve too (results --epochs --group-by): one curve per job.
  const std::vector<JobRow> rows = select_jobs(store, ResultQuery{});
  const std::vector<CurvePoint> curve = group_epochs(rows, select_epochs(store, rows), {"section", "variant"});
  ASSERT_EQ(curve[0].values, (std::vector<std::string>{"baseline", "baseline"}));
  EXPECT_EQ(curve[0].jobs, 3);
}

// `--fresh` on one sweep never erases another sweep's finished results (as `forget --sweep`
// keeps shared jobs): a killed fresh run would otherwise leave the other sweep without them.
TEST(ResultStore, FreshKeepsFinishedJobsAnotherSweepHolds) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const auto jobs = fill_tiny_db(path);
  ResultStore store(path, OpenMode::Writer);
  SweepSpec other = tiny_spec();
  other.name = "other";
  std::vector<Job> mine(jobs.begin(), jobs.begin() + 3);  // the baseline, shared with "tiny"
  mine.push_back(jobs.back());                            // batchnorm seed 2: still running, shared
  for (auto& job : mine) job.sweep = "other";
  store.register_sweep(other, "name: other\n", mine, false);
  const MembershipChange change = store.register_sweep(other, "name: other\n", mine, true);
  EXPECT_EQ(change.kept_shared, (std::vector<std::string>{jobs[0].id, jobs[1].id, jobs[2].id}));
  EXPECT_EQ(change.sharing_sweeps, (std::vector<std::string>{"tiny"}));
  EXPECT_EQ(change.reset, (std::vector<std::string>{jobs.back().id}));  // unfinished: started over
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(store.status(jobs[i].id), JobStatus::Done);
    EXPECT_EQ(store.epochs(jobs[i].id).size(), 3u);
  }
  EXPECT_EQ(store.status(jobs.back().id), JobStatus::Pending);
  EXPECT_EQ(store.status_counts("tiny")[JobStatus::Done], 15);  // as fill_tiny_db left it
}

TEST(ResultStore, SecondWriterIsRefusedWithThePid) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  ResultStore first(path, OpenMode::Writer);
  // flock is per open file description: a second open in this process conflicts too, but a
  // child process is the real situation.
  const pid_t child = fork();
  if (child == 0) {
    try {
      ResultStore second(path, OpenMode::Writer);
      _exit(0);
    } catch (const UsageError& e) {
      const std::string what = e.what();
      const bool ok =
          what.find("in use by another metasweep run (pid " + std::to_string(getppid()) + ")") != std::string::npos;
      _exit(ok ? 3 : 4);
    } catch (...) {
      _exit(5);
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  // Readers are never refused.
  ResultStore reader(path, OpenMode::ReadOnly);
  EXPECT_TRUE(reader.sweeps().empty());
}

// A second writer in a child process, on `path`: 3 when refused naming the parent's pid.
int second_writer_outcome(const std::string& path) {
  const pid_t child = fork();
  if (child == 0) {
    try {
      ResultStore second(path, OpenMode::Writer);
      _exit(0);
    } catch (const UsageError& e) {
      const std::string what = e.what();
      _exit(what.find("in use by another metasweep run (pid ") != std::string::npos ? 3 : 4);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "second writer on %s: %s\n", path.c_str(), e.what());
      _exit(5);
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ResultStore, TheLockGoesByTheFileNotByThePathSpelling) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  ResultStore first(path, OpenMode::Writer);
  ASSERT_EQ(symlink("r.db", dir.file("alias.db").c_str()), 0);
  EXPECT_EQ(second_writer_outcome(dir.file("alias.db")), 3) << "through a symlink";
  ASSERT_EQ(mkdir(dir.file("sub").c_str(), 0755), 0);
  EXPECT_EQ(second_writer_outcome(dir.file("sub/../r.db")), 3) << "another spelling";
  // Readers find the live run through any spelling (status, stop).
  EXPECT_EQ(RunLock::live_holder(dir.file("alias.db")), std::to_string(getpid()));
  EXPECT_EQ(RunLock::lock_file_for(dir.file("alias.db")), RunLock::lock_file_for(path));
}

TEST(ResultStore, DeletingTheLockFileDoesNotLetASecondWriterIn) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  ResultStore first(path, OpenMode::Writer);
  ASSERT_EQ(unlink((path + ".lock").c_str()), 0);  // "a stale lock file", cleaned up by hand
  EXPECT_EQ(second_writer_outcome(path), 3);
}

TEST(ResultStore, ASymlinkToADatabaseNotYetCreatedLocksTheTarget) {
  TempDir dir;
  ASSERT_EQ(symlink("new.db", dir.file("alias.db").c_str()), 0);
  ResultStore first(dir.file("alias.db"), OpenMode::Writer);
  const std::string real = std::filesystem::canonical(dir.path()).string();
  EXPECT_EQ(RunLock::lock_file_for(dir.file("alias.db")), real + "/new.db.lock");
  EXPECT_TRUE(std::filesystem::exists(real + "/new.db.lock"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("alias.db.lock")));
  EXPECT_EQ(second_writer_outcome(dir.file("new.db")), 3);
}

TEST(ResultStore, LockIsReleasedWithTheStore) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  { ResultStore first(path, OpenMode::Writer); }
  EXPECT_NO_THROW(ResultStore second(path, OpenMode::Writer));
}

TEST(ResultStore, ReaderSeesCommittedEpochsWhileWriterIsOpen) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const auto jobs = tiny_jobs();
  ResultStore writer(path, OpenMode::Writer);
  writer.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  writer.job_started(jobs[0].id, "h");
  writer.record_epoch(jobs[0].id, tiny_epoch(0.8, 1, 0));
  ResultStore reader(path, OpenMode::ReadOnly);
  EXPECT_EQ(reader.epochs(jobs[0].id).size(), 1u);
  EXPECT_EQ(reader.status(jobs[0].id), JobStatus::Running);
  EXPECT_THROW(const_cast<ResultStore&>(reader).reset_running("tiny"), std::logic_error);
}

TEST(SqliteDb, TransactionRollsBackUnlessCommitted) {
  TempDir dir;
  Database db(dir.file("t.db"), Database::Access::ReadWrite);
  db.exec("CREATE TABLE t (x INTEGER)");
  {
    Transaction tx(db);
    Statement(db, "INSERT INTO t VALUES (1)").run();
  }
  {
    Transaction tx(db);
    Statement(db, "INSERT INTO t VALUES (2)").run();
    tx.commit();
  }
  Statement s(db, "SELECT group_concat(x) FROM t");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_text(0), "2");
  EXPECT_THROW(Statement(db, "SELECT nope FROM t"), std::runtime_error);
}

}  // namespace
}  // namespace ms::test

namespace ms::test {
namespace {

// A report's queries see one state of the database: a job a writer finishes meanwhile shows up
// only after the snapshot ends (WAL keeps the reader's view).
TEST(ReadSnapshot, AReaderSeesOneStateUntilItEnds) {
  TempDir dir;
  const std::vector<Job> jobs = fill_tiny_db(dir.file("r.db"));
  ResultStore reader(dir.file("r.db"), OpenMode::ReadOnly);
  const int done_before = reader.status_counts("tiny")[JobStatus::Done];
  const Job& running = jobs.back();  // batchnorm seed 2: still running in the fixture
  {
    const ReadSnapshot snapshot(reader.db());
    EXPECT_EQ(reader.status_counts("tiny")[JobStatus::Done], done_before);
    {
      ResultStore writer(dir.file("r.db"), OpenMode::Writer);
      writer.job_finished(running.id, JobStatus::Done, "", 1.0);
    }
    EXPECT_EQ(reader.status_counts("tiny")[JobStatus::Done], done_before);  // still the first view
    const ReadSnapshot nested(reader.db());  // inside a transaction: a no-op, never an error
  }
  EXPECT_EQ(reader.status_counts("tiny")[JobStatus::Done], done_before + 1);
}

}  // namespace
}  // namespace ms::test
