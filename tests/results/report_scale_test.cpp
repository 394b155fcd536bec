// A report of a large section stays readable: its curves and dots show the 12 best rows by the
// table's metric (the caption says so; the table keeps every row), and past 40 variants the
// accuracy-vs-cost scatter plots, whose key names every point, give way to a note.
#include <gtest/gtest.h>

#include "results/reports/report.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

// One section of `n` learning rates (the baseline's, 0.5, is not among them), one seed each;
// variant k (lr = (k+1) × 1e-4) ends at accuracy 0.5 + 0.01 k, so the best rows are the last ones.
void fill_lr_sweep(const std::string& path, int n) {
  std::string lrs;
  for (int k = 0; k < n; ++k) lrs += (k ? ", " : "") + std::to_string((k + 1) * 1e-4);
  const std::string yaml = R"(name: lrs
base:
  task: {dataset: synthetic-images, epochs: 2, batch_size: 16, optimizer: {lr: 0.5}}
  model: {depths: [1, 1, 1, 1], dims: [8, 16, 32, 64], mixers: pool, head_dim: 8}
seeds: [0]
ablations:
  learning rate:
    task.optimizer.lr: [)" + lrs + "]\n";
  const SweepSpec spec = parse_sweep(yaml, "lrs.yaml", results_catalog());
  std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  for (size_t i = 0; i < jobs.size(); ++i) jobs[i].params = 1000 * int64_t(i + 1), jobs[i].macs = 5000 * int64_t(i + 1);
  ResultStore store(path, OpenMode::Writer);
  store.register_sweep(spec, yaml, jobs, false);
  for (size_t i = 0; i < jobs.size(); ++i) {
    store.job_started(jobs[i].id, "host");
    const double acc = i == 0 ? 0.45 : 0.5 + 0.01 * static_cast<double>(i - 1);  // the baseline first
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

}  // namespace
}  // namespace ms::test
