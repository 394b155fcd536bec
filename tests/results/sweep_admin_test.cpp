// Forgetting sweeps and jobs, sweep notes, and finding the run that holds a database: what is
// removed and what a shared job keeps, checkpoints going with their jobs, the run lock refusing
// changes while a run writes, notes in the report, and stop refusing a process that is not the
// metasweep binary.
#include "results/store/sweep_admin.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <unistd.h>

#include <gtest/gtest.h>

#include "results/reports/ablation.h"
#include "results/reports/report.h"
#include "results/store/run_stop.h"
#include "results/store/sqlite_db.h"
#include "sweeps/errors.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

namespace fs = std::filesystem;

// A second sweep of the baseline alone: the same configs and seeds, so the same three job ids.
std::string baseline_only() {
  std::string yaml = kTinySweep;
  yaml = std::regex_replace(yaml, std::regex("name: tiny"), "name: tiny-base");
  return yaml.substr(0, yaml.find("ablations:"));
}

int64_t count(const std::string& db_path, const std::string& sql) {
  Database db(db_path, Database::Access::ReadOnly);
  Statement s(db, sql);
  s.step();
  return s.column_int64(0);
}

class Admin : public ::testing::Test {
 protected:
  void SetUp() override {
    jobs_ = fill_tiny_db(db());
    const std::string yaml = baseline_only();
    const SweepSpec spec = parse_sweep(yaml, "base.yaml", results_catalog());
    ResultStore store(db(), OpenMode::Writer);
    store.register_sweep(spec, yaml, expand_sweep(spec, results_catalog()), false);
  }
  std::string db() const { return dir_.file("r.db"); }
  std::string checkpoint(const std::string& id) const {
    fs::create_directories(dir_.file("ckpt"));
    const std::string path = dir_.file("ckpt/" + id + ".ckpt");
    std::ofstream(path) << "x";
    return path;
  }
  const Job& job(const std::string& variant, int64_t seed) const {
    for (const Job& j : jobs_)
      if (j.variant == variant && j.seed == seed) return j;
    throw std::logic_error("no such job");
  }
  TempDir dir_;
  std::vector<Job> jobs_;
};

TEST_F(Admin, ForgettingASweepKeepsTheJobsAnotherSweepShares) {
  {
    const ResultStore store(db(), OpenMode::ReadOnly);
    const ForgetPlan plan = plan_forget_sweep(store, "tiny");
    EXPECT_EQ(plan.jobs.size(), 15u);
    EXPECT_EQ(plan.shared.size(), 3u);  // the baseline's seeds, also in tiny-base
    EXPECT_EQ(plan.epochs, 47 - 9);
    EXPECT_THROW(plan_forget_sweep(store, "nope"), UsageError);
  }
  const std::string gone = checkpoint(job("model.mixers=identity", 0).id), kept = checkpoint(job("baseline", 0).id);
  add_note(db(), "tiny", "to be forgotten with its sweep");
  const ForgetPlan done = forget_sweep(db(), "tiny", dir_.file("ckpt"));
  EXPECT_EQ(done.jobs.size(), 15u);
  EXPECT_FALSE(fs::exists(gone));
  EXPECT_TRUE(fs::exists(kept));
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM sweeps"), 1);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM jobs"), 3);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM epochs"), 9);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM config_values WHERE job_id NOT IN (SELECT id FROM jobs)"), 0);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM sweep_notes"), 0);
  const ResultStore store(db(), OpenMode::ReadOnly);
  EXPECT_EQ(store.sweeps(), std::vector<std::string>{"tiny-base"});
  EXPECT_EQ(build_ablation(store, "tiny-base").rows.at(0).value->n, 3);  // the shared results are intact
}

// A job that another sweep's edit removed stays in the database (queryable by id): forgetting
// this sweep must keep it too.
TEST_F(Admin, ForgettingASweepKeepsJobsAnotherSweepOnceHad) {
  const Job& identity = job("model.mixers=identity", 0);
  {
    Database db(this->db(), Database::Access::ReadWrite);
    Statement s(db,
                "INSERT INTO removed_sweep_jobs (sweep, job_id, section, variant, position, reference, removed_at) "
                "VALUES ('tiny-base', ?, 'token mixer', 'model.mixers=identity', 3, NULL, 0)");
    s.bind(1, identity.id).run();
  }
  const ForgetPlan done = forget_sweep(db(), "tiny", dir_.file("ckpt"));
  EXPECT_EQ(done.jobs.size(), 14u);
  EXPECT_EQ(done.shared.size(), 4u);
  const ResultStore store(db(), OpenMode::ReadOnly);
  EXPECT_EQ(store.status(identity.id), JobStatus::Done);
  EXPECT_EQ(store.epochs(identity.id).size(), 3u);
}

TEST_F(Admin, ForgettingAJobsResultsMakesItPendingAgain) {
  const Job& identity = job("model.mixers=identity", 0);
  const std::string ckpt = checkpoint(identity.id);
  {
    const ResultStore store(db(), OpenMode::ReadOnly);
    const JobInfo info = job_info(store, identity.id);
    EXPECT_EQ(info.status, JobStatus::Done);
    EXPECT_EQ(info.epochs, 3);
    EXPECT_EQ(info.sweeps, std::vector<std::string>{"tiny"});
    EXPECT_THROW(job_info(store, "0123"), UsageError);
    EXPECT_EQ(job_info(store, identity.id.substr(0, 6)).id, identity.id) << "a unique prefix names the job";
    EXPECT_THROW(job_info(store, ""), UsageError);
    EXPECT_THROW(job_info(store, "%"), UsageError) << "no LIKE wildcard";
    // a prefix two ids share is refused, naming both
    std::vector<std::string> ids;
    Statement all(store.db(), "SELECT id FROM jobs ORDER BY id");
    while (all.step()) ids.push_back(all.column_text(0));
    std::string a, b;
    for (size_t i = 1; i < ids.size() && a.empty(); ++i)
      if (ids[i - 1][0] == ids[i][0]) a = ids[i - 1], b = ids[i];
    ASSERT_FALSE(a.empty()) << "no two job ids of the fixture share a first character";
    try {
      job_info(store, a.substr(0, 1));
      ADD_FAILURE() << "an ambiguous prefix was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(a), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(b), std::string::npos) << e.what();
    }
  }
  forget_job(db(), identity.id, dir_.file("ckpt"));
  EXPECT_FALSE(fs::exists(ckpt)) << "a stale checkpoint would make the next run resume the old training";
  const ResultStore store(db(), OpenMode::ReadOnly);
  EXPECT_EQ(store.status(identity.id), JobStatus::Pending);
  EXPECT_TRUE(store.epochs(identity.id).empty());
  EXPECT_EQ(build_ablation(store, "tiny").rows.at(1).value->n, 2);
}

TEST_F(Admin, ChangesAreRefusedWhileARunWritesAndStopFindsTheRun) {
  EXPECT_FALSE(run_holder(db()));
  {
    const ResultStore writer(db(), OpenMode::Writer);  // a run in progress
    EXPECT_THROW(forget_sweep(db(), "tiny", dir_.file("ckpt")), UsageError);
    EXPECT_THROW(add_note(db(), "tiny", "x"), UsageError);
    const auto holder = run_holder(db());
    ASSERT_TRUE(holder);
    EXPECT_EQ(holder->pid, getpid());
    EXPECT_NE(holder->command.find("results_tests"), std::string::npos) << holder->command;
    try {  // this test binary is not metasweep: never signalled
      stop_run(*holder);
      ADD_FAILURE() << "stop_run signalled a process that is not metasweep";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("not a metasweep process"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(run_holder(db())) << "released with the writer";
}

TEST_F(Admin, NotesAreKeptInOrderAndShownInTheReport) {
  {
    const ResultStore store(db(), OpenMode::ReadOnly);
    EXPECT_TRUE(sweep_notes(store, "tiny").empty());  // no notes table yet
  }
  add_note(db(), "tiny", "lr 1e-3 was too high for *attention*");
  add_note(db(), "tiny", "rerun <batchnorm> on the new nodes");
  EXPECT_THROW(add_note(db(), "nope", "x"), UsageError);
  const ResultStore store(db(), OpenMode::ReadOnly);
  const auto notes = sweep_notes(store, "tiny");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].text, "lr 1e-3 was too high for *attention*");
  EXPECT_TRUE(sweep_notes(store, "tiny-base").empty());
  const std::string listed = format_notes(notes);  // what `status` prints under the sweep
  EXPECT_EQ(listed.rfind("  notes:\n", 0), 0u) << listed;
  EXPECT_LT(listed.find("too high for *attention*"), listed.find("rerun <batchnorm>"));
  EXPECT_EQ(std::count(listed.begin(), listed.end(), '\n'), 3);
  EXPECT_EQ(format_notes({}), "");
  const ReportFiles files = write_report(store, "tiny", dir_.file("report"));
  const std::string md = read_file(files.markdown), html = read_file(files.html);
  EXPECT_NE(md.find("## Notes"), std::string::npos);
  EXPECT_NE(md.find("too high for \\*attention\\*"), std::string::npos) << md;
  EXPECT_NE(html.find("rerun &lt;batchnorm&gt; on the new nodes"), std::string::npos);
}

// A note of several lines keeps them: in report.md as hard breaks inside its list item (a line
// that looks like a list, a heading or code stays text), in report.html as preformatted lines.
TEST_F(Admin, AMultiLineNoteKeepsItsLinesInTheReport) {
  add_note(db(), "tiny", "first line\n- not a list\n\n    indented\tx\n# not a heading");
  const ResultStore store(db(), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, "tiny", dir_.file("report"));
  const std::string md = read_file(files.markdown), html = read_file(files.html);
  EXPECT_NE(md.find(": first line\\\n  \\- not a list\n\n  \xc2\xa0\xc2\xa0\xc2\xa0\xc2\xa0"
                    "indented x\\\n  \\# not a "
                    "heading\n"),
            std::string::npos)
      << md;
  EXPECT_NE(html.find("<li class=\"free\">"), std::string::npos) << html;
  EXPECT_NE(html.find(": first line\n- not a list\n\n    indented\tx\n# not a heading</li>"), std::string::npos)
      << html;
  EXPECT_NE(html.find(".free{white-space:pre-wrap"), std::string::npos);
}

}  // namespace
}  // namespace ms::test
