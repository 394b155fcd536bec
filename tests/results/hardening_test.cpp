// Issue 13 (hardening II) in the results library, each case a regression test that failed before
// its fix: user text never runs as a gnuplot command; a sweep whose file changed shows only its
// current jobs (removed ones stay queryable by id; old databases are migrated); in-memory and URI
// databases are refused; a foreign SQLite file stays byte-identical; CSV cells cannot run as
// formulas; table.tex escapes every field and compiles with real pdflatex; report.md escapes
// HTML and newlines; --where variant=[P,P,A,A] matches that label; `status` tells a live run
// from a dead one; `report --out` never writes through a symlink and replaces its plot set.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "results/reports/ablation.h"
#include "results/reports/format.h"
#include "results/reports/plots.h"
#include "results/reports/report.h"
#include "results/reports/sweep_progress.h"
#include "results/store/query.h"
#include "results/store/schema.h"
#include "results/store/sqlite_db.h"
#include "results/store/sweep_admin.h"
#include "sweeps/errors.h"
#include "sweeps/user_text.h"
#include "tests/results/csv_reader.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

namespace fs = std::filesystem;

// A database as someone might send it: names that plan-time validation would refuse, written
// straight through the store API. Every job is done (accuracy by variant) so every plot is drawn.
struct HostileNames {
  std::string sweep = "tiny";
  std::string section = "token mixer";  // replaces the section "token mixer"
  std::string label = "identity";       // replaces the label "model.mixers=identity"
  std::string label2 = "attention";     // replaces the label "model.mixers=attention"
};

void fill_hostile_db(const std::string& path, const HostileNames& n) {
  SweepSpec spec = tiny_spec();
  spec.name = n.sweep;
  for (auto& s : spec.sections)
    if (s == "token mixer") s = n.section;
  std::vector<Job> jobs = tiny_jobs();
  for (auto& job : jobs) {
    job.sweep = n.sweep;
    if (job.section == "token mixer") job.section = n.section;
    if (job.variant == "model.mixers=identity") job.variant = n.label;
    if (job.variant == "model.mixers=attention") job.variant = n.label2;
  }
  ResultStore store(path, OpenMode::Writer);
  store.register_sweep(spec, kTinySweep, jobs, false);
  int i = 0;
  for (const Job& job : jobs) {
    store.job_started(job.id, "host");
    const double acc = 0.5 + 0.01 * (i++ % 7);
    for (int64_t e = 1; e <= 2; ++e) store.record_epoch(job.id, tiny_epoch(acc, e, job.seed));
    store.job_finished(job.id, JobStatus::Done, "", 1.0);
  }
}

// ---- 1. gnuplot script injection -----------------------------------------------------------

TEST(ReportInjection, NamesFromTheDatabaseNeverRunCommands) {
  ASSERT_TRUE(gnuplot_available()) << "gnuplot is a dependency (scripts/install-deps.sh installs gnuplot-nox)";
  TempDir dir;
  const std::string m1 = dir.file("PWNED1"), m2 = dir.file("PWNED2"), m3 = dir.file("PWNED3"), m4 = dir.file("PWNED4");
  HostileNames n;
  n.label = "x'\nsystem \"touch " + m1 + "\"\n#";  // the issue's label
  n.label2 = "`touch " + m2 + "` @x $y \\\" \"";   // backquotes, macro, quotes
  n.section = "s'\nsystem \"touch " + m3 + "\"\n# `touch " + m3 + "`";
  n.sweep = "w\"\n!touch " + m4 + "\nsystem 'touch " + m4 + "'\n`touch " + m4 + "`";
  fill_hostile_db(dir.file("h.db"), n);
  const ResultStore store(dir.file("h.db"), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, n.sweep, dir.file("out"));
  EXPECT_TRUE(files.plot_note.empty()) << files.plot_note;  // the plots were drawn, not skipped
  EXPECT_GE(files.plots.size(), 6u);
  for (const auto& marker : {m1, m2, m3, m4}) {
    EXPECT_FALSE(fs::exists(marker)) << "gnuplot ran a command: " << marker;
  }
}

TEST(ReportInjection, PlotTextArrivesVerbatim) {
  ASSERT_TRUE(gnuplot_available());
  Series s;
  s.title = "a`b`c @m $d 'q' \"dq\" caf\xc3\xa9";
  s.x = {1, 2};
  s.y = {50, 60};
  const std::string svg = plot_lines("T`x`", "epoch", "acc", {s});
  EXPECT_NE(svg.find("a`b`c @m $d"), std::string::npos) << svg.substr(0, 2000);
  EXPECT_NE(svg.find("caf\xc3\xa9"), std::string::npos);
  EXPECT_NE(svg.find("T`x`"), std::string::npos);
}

// "]]>" may not appear in XML character data and gnuplot does not escape '>': every plot is still
// well-formed XML (parsed by Python's expat), and the text reads back as written. A 77-character
// label keeps a legend (gnuplot dropped a key wider than the plot), cut with "…".
TEST(ReportInjection, PlotsAreWellFormedXmlAndKeepTheirLegend) {
  ASSERT_TRUE(gnuplot_available());
  TempDir dir;
  Series s;
  s.title = "x ]]> <![CDATA[ y";
  s.x = {1, 2};
  s.y = {50, 60};
  Series long_label;
  long_label.title = "model.mixers=[pool, attention], model.norm=layernorm, task.optimizer.lr=0.002";
  long_label.x = {1, 2};
  long_label.y = {55, 58};
  const std::string lines = plot_lines("T ]]>", "epoch", "acc", {s, long_label});
  Band b;
  b.title = long_label.title;
  b.x = {1, 2};
  b.mean = {50, 60};
  b.low = {49, 59};
  b.high = {51, 61};
  const std::string bands = plot_bands("curves", "epoch", "acc", {b});
  const std::string check =
      "import sys, xml.dom.minidom\nfor p in sys.argv[1:]:\n"
      "    d = xml.dom.minidom.parse(p)\n"
      "    print(len([t for t in d.getElementsByTagName('text') if 'model.mixers' in "
      "''.join(n.data for n in t.childNodes if n.nodeType == n.TEXT_NODE)]))\n";
  const auto r =
      run_command("/usr/bin/python3 -c " + shell_quote(check) + " " + shell_quote(dir.write("lines.svg", lines)) + " " +
                  shell_quote(dir.write("bands.svg", bands)));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n1\n") << "the long label's legend entry, once per plot";
  EXPECT_NE(lines.find("x ]]&gt; &lt;![CDATA[ y"), std::string::npos) << lines.substr(0, 3000);
  // (cut in its middle: its end, where a grid label's last key is, stays)
  EXPECT_NE(lines.find("model.mixers=[pool, atte…task.optimizer.lr=0.002"), std::string::npos);
}

// ---- 2. a sweep is its current definition ----------------------------------------------------

std::string edited_sweep() {
  std::string text = kTinySweep;
  const std::string from = "lr: 1.0e-3", to = "lr: 2.0e-3";  // every job id changes
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(SweepMembership, AnEditedSweepShowsOnlyItsCurrentJobs) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const std::vector<Job> old_jobs = fill_tiny_db(path);
  const std::string text = edited_sweep();
  const SweepSpec spec = parse_sweep(text, "tiny.yaml", results_catalog());
  std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  ASSERT_EQ(jobs.size(), 18u);
  {
    ResultStore writer(path, OpenMode::Writer);
    const MembershipChange change = writer.register_sweep(spec, text, jobs, false);
    EXPECT_FALSE(change.new_sweep);
    EXPECT_EQ(change.added, 18);
    EXPECT_EQ(change.removed, 18);
    EXPECT_EQ(change.kept, 0);
    for (const Job& job : jobs)
      if (job.section == "baseline") {
        writer.job_started(job.id, "h");
        writer.record_epoch(job.id, tiny_epoch(0.5, 1, job.seed));
        writer.job_finished(job.id, JobStatus::Done, "", 1);
      }
    EXPECT_EQ(writer.runnable_jobs("tiny", 0).size(), 15u);  // only the new definition's jobs
  }
  const ResultStore store(path, OpenMode::ReadOnly);
  ResultQuery q;
  q.sweep = "tiny";
  const auto rows = select_jobs(store, q);
  std::set<std::string> ids, current;
  for (const auto& r : rows) ids.insert(r.id);
  for (const auto& j : jobs) current.insert(j.id);
  EXPECT_EQ(ids, current);
  // The baseline is three seeds of the new experiment, not six of two experiments.
  const AblationTable t = build_ablation(store, "tiny");
  ASSERT_EQ(t.rows.front().variant, "baseline");
  ASSERT_TRUE(t.rows.front().value);
  EXPECT_EQ(t.rows.front().value->n, 3);
  EXPECT_DOUBLE_EQ(t.rows.front().value->mean, 0.5 * 0.6);
  EXPECT_EQ(store.status_counts("tiny")[JobStatus::Done], 3);
  // A removed job keeps its result and is found by id, marked removed.
  ResultQuery by_id;
  by_id.where.push_back(parse_where("id=" + old_jobs[0].id));
  const auto old = select_jobs(store, by_id);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_TRUE(old[0].removed);
  EXPECT_EQ(old[0].status, JobStatus::Done);
  EXPECT_DOUBLE_EQ(*old[0].test_acc, 0.80);
  EXPECT_EQ(job_json(old[0])["removed"], true);
  // `results --removed` lists exactly the 18 jobs the edit removed, with a --where on top; `status`
  // counts them and says how to list them.
  ResultQuery removed;
  removed.sweep = "tiny";
  removed.removed = true;
  std::set<std::string> removed_ids, old_ids;
  for (const auto& r : select_jobs(store, removed)) {
    EXPECT_TRUE(r.removed);
    removed_ids.insert(r.id);
  }
  for (const auto& j : old_jobs) old_ids.insert(j.id);
  EXPECT_EQ(removed_ids, old_ids);
  removed.where.push_back(parse_where("section=baseline"));
  EXPECT_EQ(select_jobs(store, removed).size(), 3u);
  const SweepProgress p = sweep_progress(store, "tiny", 0);
  EXPECT_EQ(p.removed, 18);
  EXPECT_NE(format_progress(p, 0).find("removed by edits of the sweep file: 18 job(s), results kept (list them: "
                                       "metasweep results --db " +
                                       shell_word(path) + " --sweep tiny --removed)"),
            std::string::npos)
      << format_progress(p, 0);
}

// --where id=PREFIX finds the jobs whose id starts with it, as train --job and forget --job take
// ids; id!=PREFIX leaves them out; a whole id still matches exactly.
TEST(SweepMembership, WhereIdTakesAPrefix) {
  TempDir dir;
  const std::string path = dir.file("p.db");
  const std::vector<Job> jobs = fill_tiny_db(path);
  const ResultStore store(path, OpenMode::ReadOnly);
  auto count = [&](const std::string& expr) {
    ResultQuery q;
    q.sweep = "tiny";
    q.where.push_back(parse_where(expr));
    return select_jobs(store, q).size();
  };
  const std::string id = jobs[0].id;
  size_t sharing = 0;
  for (const Job& j : jobs) sharing += j.id.compare(0, 8, id, 0, 8) == 0;
  EXPECT_EQ(sharing, 1u);
  EXPECT_EQ(count("id=" + id.substr(0, 8)), 1u);
  EXPECT_EQ(count("id=" + id), 1u);
  EXPECT_EQ(count("id!=" + id.substr(0, 8)), jobs.size() - 1);
  EXPECT_EQ(count("id=" + id.substr(0, 8) + "zz"), 0u);
}

// status's elapsed time and throughput count the time some job trained, not the idle days
// between two runs of the sweep (they had counted from the first start to the last finish).
TEST(SweepMembership, ElapsedTimeIsTheUnionOfTheJobsTrainingTime) {
  TempDir dir;
  const std::string path = dir.file("e.db");
  const std::vector<Job> jobs = fill_tiny_db(path);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    std::string sql = "UPDATE jobs SET started_at = NULL, finished_at = NULL;";
    // Three jobs: 0-100 s and 50-150 s in one run, 86400-86500 s in a run a day later.
    const int spans[3][2] = {{0, 100}, {50, 150}, {86400, 86500}};
    for (int i = 0; i < 3; ++i)
      sql += "UPDATE jobs SET started_at = " + std::to_string(spans[i][0]) +
             ", finished_at = " + std::to_string(spans[i][1]) + " WHERE id = '" + jobs[static_cast<size_t>(i)].id +
             "';";
    sql += "UPDATE epochs SET recorded_at = COALESCE((SELECT started_at FROM jobs WHERE jobs.id = epochs.job_id), 0);";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  ResultStore store(path, OpenMode::ReadOnly);
  const SweepProgress p = sweep_progress(store, "tiny", 90000);
  EXPECT_DOUBLE_EQ(p.busy_s, 250.0);
  Statement e(store.db(),
              "SELECT COUNT(*) FROM epochs e JOIN sweep_jobs m ON m.job_id = e.job_id WHERE m.sweep = 'tiny'");
  ASSERT_TRUE(e.step());
  ASSERT_TRUE(p.epochs_per_hour.has_value());
  EXPECT_DOUBLE_EQ(*p.epochs_per_hour, static_cast<double>(e.column_int64(0)) / 250.0 * 3600.0);
  EXPECT_NE(format_progress(p, 90000).find("elapsed 4m 10s (time with a job training, over every run)"),
            std::string::npos)
      << format_progress(p, 90000);
}

// attempts counts every start; failures only the attempts that ended failed (what --max-retries
// limits). Results (table, CSV, JSON, --where) and status show both, also for a v4 database.
TEST(SweepMembership, FailedAttemptsAreShownApartFromInterruptedOnes) {
  TempDir dir;
  const std::string path = dir.file("f.db");
  const std::vector<Job> jobs = fill_tiny_db(path);
  std::string restarted, failed;  // identity seed 0: two interrupted starts; batchnorm seed 0: two failures
  for (const Job& j : jobs) {
    if (j.variant == "model.mixers=identity" && j.seed == 0) restarted = j.id;
    if (j.variant == "model.norm=batchnorm" && j.seed == 0) failed = j.id;
  }
  {
    ResultStore writer(path, OpenMode::Writer);
    writer.job_started(restarted, "h");  // interrupted, resumed, finished
    writer.job_started(restarted, "h");
    writer.job_finished(restarted, JobStatus::Done, "", 1);
    writer.job_started(failed, "h");
    writer.job_finished(failed, JobStatus::Failed, "boom again", 1);
  }
  auto check = [&](const std::string& db, int64_t restarted_failures) {
    SCOPED_TRACE(db);
    const ResultStore store(db, OpenMode::ReadOnly);
    ResultQuery q;
    q.sweep = "tiny";
    for (const JobRow& r : select_jobs(store, q)) {
      if (r.id == restarted) {
        EXPECT_EQ(r.attempts, 3);
        EXPECT_EQ(r.failures, restarted_failures);
      }
      if (r.id == failed) {
        EXPECT_EQ(r.attempts, 2);
        EXPECT_EQ(r.failures, 2);
        EXPECT_EQ(job_json(r)["failures"], 2);
      }
    }
    q.where.push_back(parse_where("failures>=1"));
    const auto rows = select_jobs(store, q);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].id, failed);
    const auto csv = parse_csv(format_jobs(rows, OutputFormat::Csv));
    const auto at = std::find(csv[0].begin(), csv[0].end(), "failures");
    ASSERT_NE(at, csv[0].end());
    EXPECT_EQ(*(at - 1), "semantics") << "a new column goes after the older ones";
    EXPECT_EQ(csv[1][static_cast<size_t>(at - csv[0].begin())], "2");
    const std::string status = format_progress(sweep_progress(store, "tiny", 0), 0);
    EXPECT_TRUE(std::regex_search(status, std::regex("tries +failed +message")) &&
                std::regex_search(status, std::regex("failed " + failed + " .* 2 +2 +boom again")))
        << status;
  };
  check(path, 0);
  // Read as is before v5: a failed job's attempts are its failures, other jobs have none.
  fs::copy_file(path, dir.file("v4.db"));
  {
    Database db(dir.file("v4.db"), Database::Access::ReadWrite);
    db.exec(std::string(kUndoSchemaV6) + "ALTER TABLE jobs DROP COLUMN failures; PRAGMA user_version = 4");
  }
  check(dir.file("v4.db"), 0);
}

// A job whose group lost its GPU goes back to pending without a failure counted; `status` lists it
// with what ended its attempt, so a sweep "not running (N pending)" says why. A job merely
// interrupted (pending, no error) is not listed.
TEST(SweepMembership, APendingJobWhoseGroupLostItsGpuShowsWhy) {
  TempDir dir;
  const std::string path = dir.file("g.db");
  const std::vector<Job> jobs = fill_tiny_db(path);
  ResultStore writer(path, OpenMode::Writer);
  writer.job_started(jobs[0].id, "h");
  writer.job_requeued(jobs[0].id, "rank 1 of 2: CUDA error: uncorrectable ECC error encountered");
  writer.job_started(jobs[1].id, "h");
  writer.reset_running("tiny");
  EXPECT_THROW(writer.job_requeued("0000000000000000", "x"), std::runtime_error);
  EXPECT_EQ(writer.status(jobs[0].id), JobStatus::Pending);
  EXPECT_EQ(writer.failures(jobs[0].id), 0);
  const std::string status = format_progress(sweep_progress(writer, "tiny", 0), 0);
  EXPECT_TRUE(std::regex_search(
      status, std::regex("pending " + jobs[0].id + " .* [0-9]+ +0 +rank 1 of 2: CUDA error: uncorrectable ECC")))
      << status;
  EXPECT_EQ(status.find(jobs[1].id), std::string::npos) << status;
}

TEST(SweepMembership, ExtendingASweepAddsOnlyTheNewJobs) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  fill_tiny_db(path);
  const std::string text = std::string(kTinySweep) + "  pool size:\n    model.pool_size: [5]\n";
  const SweepSpec spec = parse_sweep(text, "tiny.yaml", results_catalog());
  ResultStore writer(path, OpenMode::Writer);
  const MembershipChange change = writer.register_sweep(spec, text, expand_sweep(spec, results_catalog()), false);
  EXPECT_EQ(change.added, 3);
  EXPECT_EQ(change.removed, 0);
  EXPECT_EQ(change.kept, 18);
  // Pending: the 3 new jobs, the interrupted batchnorm seed 2 and the failed one (attempts 1 <= 5).
  EXPECT_EQ(writer.runnable_jobs("tiny", 5).size(), 5u);
}

// A job current in one sweep and removed from another by an edit: forgetting the first keeps the
// job (it stays queryable by id as the other sweep's removed member), with no foreign-key failure.
TEST(SweepMembership, ForgettingASweepKeepsJobsAnotherSweepRemoved) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  const auto jobs = fill_tiny_db(path);
  {
    ResultStore writer(path, OpenMode::Writer);
    SweepSpec other = tiny_spec();
    other.name = "other";
    writer.register_sweep(other, "name: other\n", {jobs[0], jobs[1], jobs[2]}, false);
    const MembershipChange change = writer.register_sweep(other, "name: other\n", {jobs[3], jobs[4], jobs[5]}, false);
    EXPECT_EQ(change.removed, 3);
    EXPECT_EQ(change.added, 3);
  }
  const ForgetPlan plan = forget_sweep(path, "tiny", dir.file("checkpoints"));
  // Jobs 3..5 are still members of `other`; jobs 0..2 stay too: `other`'s edit removed them, and
  // removed jobs stay in the database, queryable by id (forget keeps what another sweep recorded).
  EXPECT_EQ(plan.jobs.size(), 12u);
  const ResultStore store(path, OpenMode::ReadOnly);
  EXPECT_EQ(store.sweeps(), std::vector<std::string>{"other"});
  Statement left(store.db(), "SELECT COUNT(*) FROM removed_sweep_jobs WHERE sweep = 'other'");
  ASSERT_TRUE(left.step());
  EXPECT_EQ(left.column_int64(0), 3);
  Statement gone(store.db(), "SELECT COUNT(*) FROM removed_sweep_jobs WHERE sweep = 'tiny'");
  ASSERT_TRUE(gone.step());
  EXPECT_EQ(gone.column_int64(0), 0);
  ResultQuery q;  // and the job is still found by id, as `other`'s removed member
  q.where.push_back(parse_where("id=" + jobs[0].id));
  const auto rows = select_jobs(store, q);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].removed);
  EXPECT_EQ(rows[0].sweep, "other");
  EXPECT_EQ(rows[0].status, JobStatus::Done);
}

TEST(SweepMembership, AVersion1DatabaseIsReadAndMigrated) {
  TempDir dir;
  const std::string path = dir.file("v1.db");
  const auto jobs = fill_tiny_db(path);
  {  // what metasweep 0.1 wrote: schema version 1, no removed_sweep_jobs, no version marks
    Database db(path, Database::Access::ReadWrite);
    db.exec(std::string(kUndoSchemaV6) +
            "DROP TABLE removed_sweep_jobs; ALTER TABLE jobs DROP COLUMN trained_by; ALTER TABLE "
            "jobs DROP COLUMN "
            "failures; "
            "ALTER TABLE jobs DROP COLUMN semantics; ALTER TABLE sweep_jobs DROP COLUMN cell; PRAGMA user_version = 1");
  }
  {
    const ResultStore reader(path, OpenMode::ReadOnly);
    ResultQuery q;
    q.where.push_back(parse_where("id=" + jobs[0].id));
    const auto rows = select_jobs(reader, q);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_FALSE(rows[0].semantics.has_value());  // not recorded then
    EXPECT_FALSE(rows[0].cell.has_value());
    EXPECT_EQ(schema_version(reader.db()), 1);
  }
  const ResultStore writer(path, OpenMode::Writer);
  EXPECT_EQ(schema_version(writer.db()), kSchemaVersion);
  EXPECT_TRUE(writer.has_table("removed_sweep_jobs"));
  Statement view(writer.db(), "SELECT COUNT(*) FROM job_results WHERE failures = 1");  // the view is current
  ASSERT_TRUE(view.step());
  EXPECT_EQ(view.column_int64(0), 1) << "batchnorm seed 0 failed once";
}

// ---- 4. databases that keep nothing -----------------------------------------------------------

TEST(DatabasePaths, InMemoryEmptyAndUriDatabasesAreRefused) {
  TempDir dir;
  const std::string cwd = fs::current_path().string();
  for (const std::string& path : {std::string(":memory:"), std::string(""), "file:" + dir.file("x.db") + "?mode=memory",
                                  std::string("file::memory:?cache=shared")}) {
    for (OpenMode mode : {OpenMode::Writer, OpenMode::ReadOnly}) {
      try {
        ResultStore store(path, mode);
        ADD_FAILURE() << "accepted --db '" << path << "'";
      } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("--db"), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_FALSE(fs::exists(cwd + "/:memory:.lock"));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

// ---- 5. a SQLite file that is not a metasweep database -------------------------------------------

std::string make_foreign_db(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "CREATE TABLE jobs(x); CREATE TABLE foo(a, b); INSERT INTO foo VALUES (1, 'keep');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  return read_file(path);
}

TEST(ForeignDatabase, WriterRefusesBeforeTheFirstWrite) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  const std::string before = make_foreign_db(path);
  const size_t checksum = std::hash<std::string>{}(before);
  try {
    ResultStore store(path, OpenMode::Writer);
    FAIL() << "wrote into a foreign SQLite database";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not a metasweep results database (tables: foo, jobs)"), std::string::npos)
        << e.what();
  }
  const std::string after = read_file(path);
  EXPECT_EQ(std::hash<std::string>{}(after), checksum);
  EXPECT_TRUE(after == before);
  EXPECT_FALSE(fs::exists(path + "-wal"));
  EXPECT_FALSE(fs::exists(path + "-shm"));
  // Not SQLite at all: refused too, bytes kept.
  const std::string text = dir.write("notes.db", "these are my notes, not a database\n");
  EXPECT_THROW(ResultStore(text, OpenMode::Writer), UsageError);
  EXPECT_EQ(read_file(text), "these are my notes, not a database\n");
}

// A metasweep database whose header and schema read fine but one of whose pages is garbage (a bad
// sector, a partial copy): the writer refuses it before writing, and the bytes stay.
TEST(DamagedDatabase, WriterRefusesAFileWithABadPage) {
  TempDir dir;
  const std::string path = dir.file("results.db");
  { ResultStore created(path, OpenMode::Writer); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "PRAGMA journal_mode = DELETE; CREATE TABLE filler(x); WITH RECURSIVE n(i) AS (SELECT 1 "
                   "UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO filler SELECT randomblob(100) FROM n;",
                   nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  ASSERT_GT(fs::file_size(path), 40u * 4096);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30 * 4096);
    const std::string garbage(4096, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  const std::string before = read_file(path);
  try {
    ResultStore store(path, OpenMode::Writer);
    FAIL() << "opened a damaged database for writing";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("is damaged (SQLite's quick_check: "), std::string::npos) << e.what();
  }
  EXPECT_TRUE(read_file(path) == before);
}

// ---- 9. CSV formula injection -----------------------------------------------------------------

TEST(CsvInjection, FormulaLikeTextIsNeutralisedAndNumbersStayNumbers) {
  EXPECT_EQ(csv_field("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
  EXPECT_EQ(csv_field("+cmd"), "'+cmd");
  EXPECT_EQ(csv_field("-cmd|' /C calc'!A0"), "'-cmd|' /C calc'!A0");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field("\tx"), "'\tx");
  EXPECT_EQ(csv_field("\rx"), "\"'\rx\"");
  EXPECT_EQ(csv_field("-0.25"), "-0.25");
  EXPECT_EQ(csv_field("+1e-3"), "+1e-3");
  EXPECT_EQ(csv_field("0.8"), "0.8");
  EXPECT_EQ(csv_field("a=b"), "a=b");

  TempDir dir;
  HostileNames n;
  n.label = "=HYPERLINK(\"http://evil\",\"click\")";
  n.label2 = "@SUM(A1)";
  n.section = "+cmd";
  fill_hostile_db(dir.file("h.db"), n);
  const ResultStore store(dir.file("h.db"), OpenMode::ReadOnly);
  ResultQuery q;
  const auto csv = parse_csv(format_jobs(select_jobs(store, q), OutputFormat::Csv));
  const auto col = [&](const std::string& name) {
    return std::find(csv[0].begin(), csv[0].end(), name) - csv[0].begin();
  };
  for (size_t r = 1; r + 1 < csv.size(); ++r)
    for (const auto& cell : csv[r])
      EXPECT_TRUE(cell.empty() || std::string("=+@\t\r").find(cell[0]) == std::string::npos ||
                  parse_number(cell).has_value())
          << cell;
  EXPECT_EQ(csv[1][static_cast<size_t>(col("variant"))], "baseline");
  EXPECT_EQ(csv[4][static_cast<size_t>(col("variant"))], "'" + n.label);
  EXPECT_EQ(csv[4][static_cast<size_t>(col("section"))], "'+cmd");
  EXPECT_TRUE(parse_number(csv[1][static_cast<size_t>(col("test_acc"))]).has_value());
}

// ---- 8. table.tex ---------------------------------------------------------------------------------

TEST(LatexTable, LabelDeltaAndEscapes) {
  TempDir dir;
  HostileNames n;
  n.sweep = "my_sweep";
  fill_hostile_db(dir.file("h.db"), n);
  const ResultStore store(dir.file("h.db"), OpenMode::ReadOnly);
  const std::string tex = ablation_latex(build_ablation(store, "my_sweep"));
  // "my_sweep" is no label key as it is: its letters plus 8 hex digits of its SHA-256.
  EXPECT_TRUE(std::regex_search(tex, std::regex("\\\\label\\{tab:my-sweep-[0-9a-f]{8}\\}"))) << tex;
  EXPECT_NE(tex.find("\\caption{Ablation study my\\_sweep."), std::string::npos) << tex;
  EXPECT_NE(tex.find("$\\Delta$ (pts)"), std::string::npos) << tex;
  EXPECT_EQ(tex.find("\\$\\textbackslash{}Delta"), std::string::npos) << tex;
  EXPECT_NE(tex.find("\\resizebox"), std::string::npos) << tex;
}

// Compiles table.tex of a report on hostile names with real pdflatex (texlive-latex-base +
// texlive-latex-recommended for booktabs, installed by scripts/install-deps.sh): it must compile
// and fit the text width (no overfull box).
TEST(LatexTable, CompilesWithPdflatexForHostileNames) {
  const CommandResult which = run_command("command -v pdflatex");
  ASSERT_EQ(which.exit_code, 0) << "pdflatex missing: scripts/install-deps.sh installs texlive-latex-base and "
                                   "texlive-latex-recommended";
  TempDir dir;
  HostileNames n;
  n.sweep = "my_sweep & 50% $x$ #1 {a} ~^\\ <b>|";
  n.section = "mix_er \\textbf{x} \\input{/etc/passwd} }{";
  n.label = "a_b & c % d $ e # f ^ g ~ h \\ i { j } <k> |l| caf\xc3\xa9";
  n.label2 = "\\end{tabular} \\\\ \\hline \\def\\x{y}";
  fill_hostile_db(dir.file("h.db"), n);
  const ResultStore store(dir.file("h.db"), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, n.sweep, dir.file("out"));
  dir.write("doc.tex",
            "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage{graphicx}\n\\begin{document}\n"
            "\\input{out/table.tex}\n\\end{document}\n");
  const CommandResult r =
      run_command("cd " + dir.path() + " && pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape doc.tex");
  const std::string log = read_file(dir.file("doc.log"));
  ASSERT_EQ(r.exit_code, 0) << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
  EXPECT_TRUE(fs::exists(dir.file("doc.pdf")));
  EXPECT_EQ(log.find("Overfull \\hbox"), std::string::npos) << "table wider than the page";
  EXPECT_EQ(log.find("passwd"), std::string::npos);
}

// Text hygiene: a \label is letters, digits and - and tells every two sweep names apart, also
// names that are all non-ASCII (they once all became "tab:---------"), and stays the same.
TEST(LatexTable, LabelsOfNonAsciiNamesAreUniqueAndStable) {
  TempDir dir;
  std::set<std::string> labels;
  const std::regex label("\\\\label\\{tab:([A-Za-z0-9-]+)\\}");
  for (const char* name : {"注意力実験", "Δ実験ΔΔΔΔ", "a_b", "a.b", "a-b", "my-sweep"}) {
    HostileNames n;
    n.sweep = name;
    fill_hostile_db(dir.file(std::to_string(labels.size()) + ".db"), n);
    const ResultStore store(dir.file(std::to_string(labels.size()) + ".db"), OpenMode::ReadOnly);
    const std::string tex = ablation_latex(build_ablation(store, name));
    std::smatch m;
    ASSERT_TRUE(std::regex_search(tex, m, label)) << tex;
    EXPECT_EQ(tex, ablation_latex(build_ablation(store, name))) << "stable";
    EXPECT_TRUE(labels.insert(m[1]).second) << name << " shares the label " << m[1];
    if (std::string(name) == "my-sweep") {
      EXPECT_EQ(m[1], "my-sweep") << "a name that is already a key keeps it";
    }
  }
}

// ---- 10. report.md ----------------------------------------------------------------------------------

TEST(MarkdownReport, EscapesHtmlAndNewlines) {
  TempDir dir;
  HostileNames n;
  n.sweep = "<img src=x onerror=alert(1)>\n# injected heading";
  n.label = "<script>alert(1)</script>";
  n.section = "sec|tion\nnext";
  fill_hostile_db(dir.file("h.db"), n);
  const ResultStore store(dir.file("h.db"), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, n.sweep, dir.file("out"));
  const std::string md = read_file(files.markdown);
  EXPECT_FALSE(std::regex_search(md, std::regex("(^|[^\\\\])<(img|script)"))) << "a < not escaped: " << md;
  EXPECT_NE(md.find("\\<script\\>alert\\(1\\)\\</script\\>"), std::string::npos) << md;
  const std::string first_line = md.substr(0, md.find('\n'));
  EXPECT_EQ(first_line, "# Ablation report: \\<img src\\=x onerror\\=alert\\(1\\)\\> \\# injected heading");
  EXPECT_EQ(md.find("\n# injected"), std::string::npos);
  EXPECT_EQ(md.find("sec|tion"), std::string::npos);
}

// ---- 11. --where on a bracketed label ---------------------------------------------------------------

TEST(WhereLabels, BracketedVariantLabelMatchesAsText) {
  TempDir dir;
  fill_tiny_db(dir.file("r.db"));
  const ResultStore store(dir.file("r.db"), OpenMode::ReadOnly);
  for (const char* expr : {"variant=[P,P,A,A]", "variant = [P,P,A,A]"}) {
    ResultQuery q;
    q.where.push_back(parse_where(expr));
    const auto rows = select_jobs(store, q);
    EXPECT_EQ(rows.size(), 3u) << expr;
    for (const auto& r : rows) {
      EXPECT_EQ(r.variant, "[P,P,A,A]");
    }
  }
  ResultQuery lists;  // config lists still match in either spelling
  lists.where.push_back(parse_where("model.mixers=[pool,pool,attention,attention]"));
  EXPECT_EQ(select_jobs(store, lists).size(), 3u);
}

// ---- 13. stale `running` ----------------------------------------------------------------------------

TEST(StaleRunning, StatusTellsALiveRunFromADeadOne) {
  TempDir dir;
  const std::string path = dir.file("r.db");
  fill_tiny_db(path);  // batchnorm seed 2 is left `running`; the writer is gone (like a killed run)
  const double now = unix_now();
  {
    const ResultStore reader(path, OpenMode::ReadOnly);
    const SweepProgress dead = sweep_progress(reader, "tiny", now);
    ASSERT_EQ(dead.running.size(), 1u);
    EXPECT_FALSE(dead.live_run);
    EXPECT_TRUE(dead.stale_running());
    EXPECT_FALSE(dead.eta_s);
    const std::string text = format_progress(dead, now);
    EXPECT_NE(text.find("no metasweep run holds the database's lock"), std::string::npos) << text;
    EXPECT_NE(text.find("stale (run died)"), std::string::npos) << text;
  }
  const ResultStore writer(path, OpenMode::Writer);  // a live run holds the lock
  const ResultStore reader(path, OpenMode::ReadOnly);
  const SweepProgress live = sweep_progress(reader, "tiny", now);
  ASSERT_TRUE(live.live_run);
  EXPECT_EQ(*live.live_run, std::to_string(getpid()));
  EXPECT_FALSE(live.stale_running());
  const std::string text = format_progress(live, now);
  EXPECT_EQ(text.find("no metasweep run holds"), std::string::npos) << text;
  EXPECT_NE(text.find("live run, pid " + std::to_string(getpid())), std::string::npos) << text;
}

// ---- 14. report --out edges -------------------------------------------------------------------------

class ReportOut : public ::testing::Test {
 protected:
  void SetUp() override {
    fill_tiny_db(dir_.file("r.db"));
    store_ = std::make_unique<ResultStore>(dir_.file("r.db"), OpenMode::ReadOnly);
  }
  TempDir dir_;
  std::unique_ptr<ResultStore> store_;
};

TEST_F(ReportOut, EmptyPathIsRefused) {
  try {
    write_report(*store_, "tiny", "");
    FAIL() << "--out \"\" accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--out"), std::string::npos) << e.what();
  }
}

TEST_F(ReportOut, SymlinkedFilesAreReplacedNotFollowed) {
  const std::string out = dir_.file("out");
  fs::create_directories(out);
  const std::string victim = dir_.write("victim.txt", "keep me\n");
  fs::create_symlink(victim, out + "/report.md");
  fs::create_symlink(victim, out + "/table.tex");
  const std::string victim_dir = dir_.file("victim_plots");
  fs::create_directories(victim_dir);
  dir_.write("victim_plots/mine.svg", "<svg/>");
  fs::create_symlink(victim_dir, out + "/plots");
  write_report(*store_, "tiny", out);
  EXPECT_EQ(read_file(victim), "keep me\n");
  EXPECT_FALSE(fs::is_symlink(out + "/report.md"));
  EXPECT_FALSE(fs::is_symlink(out + "/plots"));
  EXPECT_EQ(read_file(out + "/report.md").rfind("# Ablation report: tiny", 0), 0u);
  EXPECT_EQ(read_file(victim_dir + "/mine.svg"), "<svg/>");
  EXPECT_EQ(std::distance(fs::directory_iterator(victim_dir), fs::directory_iterator{}), 1);
  for (const auto& entry : fs::directory_iterator(out))  // no temp files left behind
    EXPECT_NE(entry.path().filename().string().front(), '.') << entry.path();
}

TEST_F(ReportOut, ThePlotSetIsReplacedAsAWhole) {
  ASSERT_TRUE(gnuplot_available());
  const std::string out = dir_.file("out");
  fs::create_directories(out + "/plots");
  dir_.write("out/plots/section9_curves.svg", "<svg>old</svg>");
  const ReportFiles files = write_report(*store_, "tiny", out);
  EXPECT_FALSE(fs::exists(out + "/plots/section9_curves.svg"));
  std::set<std::string> on_disk, listed;
  for (const auto& entry : fs::directory_iterator(out + "/plots")) on_disk.insert(entry.path().string());
  for (const auto& p : files.plots) listed.insert(p);
  EXPECT_EQ(on_disk, listed);
  EXPECT_FALSE(files.plots.empty());
}

TEST_F(ReportOut, DanglingSymlinkAndFileInTheWayGiveClearErrors) {
  const std::string dangling = dir_.file("dangling");
  fs::create_symlink(dir_.file("missing"), dangling);
  try {
    write_report(*store_, "tiny", dangling);
    FAIL() << "wrote through a dangling symlink";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("is a symlink to " + dir_.file("missing") + ", which does not exist"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_.file("missing")));
  const std::string file = dir_.write("afile", "x");
  EXPECT_THROW(write_report(*store_, "tiny", file), UsageError);
  EXPECT_EQ(read_file(file), "x");
}

}  // namespace
}  // namespace ms::test
