// A report of a large section stays readable: its curves and dots show the 12 best rows by the
// table's metric (the caption says so; the table keeps every row), and past 40 variants the
// accuracy-vs-cost scatter plots, whose key names every point, give way to a note. `status` of a
// sweep with many failed jobs groups them by message.
#include <algorithm>

#include <gtest/gtest.h>

#include "results/reports/report.h"
#include "results/reports/sweep_progress.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

// One section of `n` learning rates (the baseline's, 0.5, is not among them), one seed each;
// variant k (lr = (k+1) × 1e-4) ends at accuracy 0.5 + 0.01 k, so the best rows are the last ones.
void fill_lr_sweep(const std::string& path, int n, const std::string& grid = "") {
  std::string lrs;
  for (int k = 0; k < n; ++k) lrs += (k ? ", " : "") + std::to_string((k + 1) * 1e-4);
  const std::string yaml = R"(name: lrs
base:
  task: {dataset: synthetic-images, epochs: 2, batch_size: 16, optimizer: {lr: 0.5}}
  model: {depths: [1, 1, 1, 1], dims: [8, 16, 32, 64], mixers: pool, head_dim: 8}
seeds: [0]
ablations:
  learning rate:
    task.optimizer.lr: [)" +
                           lrs + "]\n" + grid;
  const SweepSpec spec = parse_sweep(yaml, "lrs.yaml", results_catalog());
  std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  for (size_t i = 0; i < jobs.size(); ++i) jobs[i].params = 1000 * int64_t(i + 1), jobs[i].macs = 5000 * int64_t(i + 1);
  ResultStore store(path, OpenMode::Writer);
  store.register_sweep(spec, yaml, jobs, false);
  for (size_t i = 0; i < jobs.size(); ++i) {
    store.job_started(jobs[i].id, "host");
    double acc = i == 0 ? 0.45 : 0.5 + 0.01 * static_cast<double>(i - 1);  // the baseline first
    if (jobs[i].config["model"]["activation"] == "relu") acc -= 0.3;       // a grid's worse cell
    for (int64_t e = 1; e <= 2; ++e) store.record_epoch(jobs[i].id, tiny_epoch(acc, e, 0));
    store.job_finished(jobs[i].id, JobStatus::Done, "", 1.0);
  }
}

TEST(ReportScale, ALargeSectionShowsItsBestRowsAndTheTableAll) {
  ASSERT_EQ(run_command("command -v gnuplot").exit_code, 0) << "gnuplot missing (scripts/install-deps.sh)";
  TempDir dir;
  fill_lr_sweep(dir.file("r.db"), 45);
  const ResultStore store(dir.file("r.db"), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, "lrs", dir.file("out"));
  const std::string md = read_file(files.markdown);
  EXPECT_NE(md.find("the 12 best of its 45 rows by test accuracy; the table has them all"), std::string::npos) << md;
  EXPECT_NE(files.plot_note.find("No accuracy-vs-cost scatter plots: 46 variants (over 40)"), std::string::npos)
      << files.plot_note;
  for (const std::string& plot : files.plots) EXPECT_EQ(plot.find("acc_vs_"), std::string::npos) << plot;
  // The dots of the learning-rate section: the baseline and the 12 best (lr 3.4e-3 .. 4.5e-3),
  // never the worst.
  const std::string dots = read_file(dir.file("out/plots/section1_dots.svg"));
  EXPECT_NE(dots.find("task.optimizer.lr=0.0045"), std::string::npos);
  EXPECT_NE(dots.find("task.optimizer.lr=0.0034"), std::string::npos);
  EXPECT_EQ(dots.find("task.optimizer.lr=0.0033"), std::string::npos);
  EXPECT_EQ(dots.find("task.optimizer.lr=0.0001"), std::string::npos);
  EXPECT_NE(md.find("task\\.optimizer\\.lr\\=0.0001"), std::string::npos);  // the table has every row
}

TEST(ReportScale, ASmallSectionIsDrawnWhole) {
  ASSERT_EQ(run_command("command -v gnuplot").exit_code, 0) << "gnuplot missing (scripts/install-deps.sh)";
  TempDir dir;
  fill_lr_sweep(dir.file("r.db"), 5);
  const ResultStore store(dir.file("r.db"), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, "lrs", dir.file("out"));
  EXPECT_TRUE(files.plot_note.empty()) << files.plot_note;
  EXPECT_EQ(read_file(files.markdown).find("best of its"), std::string::npos);
  EXPECT_NE(read_file(dir.file("out/plots/section1_dots.svg")).find("task.optimizer.lr=0.0001"), std::string::npos);
}

// A large grid section drawn in part: only the baselines of the cells its best rows are in (the
// relu cell is 30 points worse, so none of its rows and not its baseline).
TEST(ReportScale, ADrawnPartShowsOnlyTheBaselinesOfItsCells) {
  ASSERT_EQ(run_command("command -v gnuplot").exit_code, 0) << "gnuplot missing (scripts/install-deps.sh)";
  TempDir dir;
  fill_lr_sweep(dir.file("r.db"), 14, "grid:\n  model.activation: [gelu, relu]\n");
  const ResultStore store(dir.file("r.db"), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, "lrs", dir.file("out"));
  EXPECT_NE(read_file(files.markdown).find("the 12 best of its 28 rows"), std::string::npos);
  for (const char* plot : {"section1_test_acc.svg", "section1_dots.svg"}) {
    const std::string svg = read_file(dir.file(std::string("out/plots/") + plot));
    EXPECT_NE(svg.find("baseline, model.activation=gelu"), std::string::npos) << plot;
    EXPECT_EQ(svg.find("baseline, model.activation=relu"), std::string::npos) << plot;
    EXPECT_NE(svg.find("task.optimizer.lr=0.0014, model.activation=gelu"), std::string::npos) << plot;
  }
}

// 30 failed jobs with two messages and one diverged: three rows, most frequent first, each with a
// count and three ids, and how to list every one. At 20 or fewer, one row per job as before.
TEST(ReportScale, StatusGroupsManyFailuresByMessage) {
  TempDir dir;
  fill_lr_sweep(dir.file("r.db"), 30);
  {
    ResultStore w(dir.file("r.db"), OpenMode::Writer);
    ResultQuery q;
    q.sweep = "lrs";
    int k = 0;
    for (const JobRow& j : select_jobs(w, q)) {
      if (k == 0)
        w.job_finished(j.id, JobStatus::Diverged, "loss became nan at epoch 2", 1.0);
      else
        w.job_finished(j.id, JobStatus::Failed, k % 3 ? "out of memory\nat step 4" : "no such file: /data", 1.0);
      ++k;
    }
  }
  const ResultStore store(dir.file("r.db"), OpenMode::ReadOnly);
  const std::string text = format_progress(sweep_progress(store, "lrs", 0), 0);
  EXPECT_NE(text.find("failed      20  "), std::string::npos) << text;  // "out of memory": k % 3 != 0
  EXPECT_NE(text.find("out of memory [...]"), std::string::npos) << text;
  EXPECT_NE(text.find("failed      10  "), std::string::npos) << text;
  EXPECT_NE(text.find("diverged     1  "), std::string::npos) << text;
  EXPECT_LT(text.find("out of memory"), text.find("no such file")) << text;  // most frequent first
  EXPECT_NE(text.find(" ...  "), std::string::npos) << text;
  EXPECT_NE(text.find("--where status=failed"), std::string::npos) << text;
  EXPECT_LT(std::count(text.begin(), text.end(), '\n'), 15) << text;

  TempDir few;
  fill_lr_sweep(few.file("r.db"), 3);
  {
    ResultStore w(few.file("r.db"), OpenMode::Writer);
    ResultQuery q;
    q.sweep = "lrs";
    for (const JobRow& j : select_jobs(w, q)) w.job_finished(j.id, JobStatus::Failed, "boom", 1.0);
  }
  const ResultStore small(few.file("r.db"), OpenMode::ReadOnly);
  const std::string listed = format_progress(sweep_progress(small, "lrs", 0), 0);
  EXPECT_NE(listed.find("problem"), std::string::npos);
  EXPECT_NE(listed.find("section"), std::string::npos) << listed;  // the per-job table
  EXPECT_EQ(listed.find("for example"), std::string::npos) << listed;
}

}  // namespace
}  // namespace ms::test
