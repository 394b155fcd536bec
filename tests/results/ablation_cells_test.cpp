// Ablation tables of sweeps with grid/zip cells: every variant is compared with the baseline of
// its own cell (a grid over datasets or activations makes cells whose accuracies are not
// comparable), the Holm family holds only those comparisons, "best" is per section and cell, and
// databases from before cells were recorded (schema v3) give the same table from the labels.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "results/reports/ablation.h"
#include "results/reports/plots.h"
#include "results/reports/report.h"
#include "results/reports/stats.h"
#include "results/store/sqlite_db.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

const char* kCellSweep = R"(name: cells
base:
  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}
  model: {depths: [1, 1, 1, 1], dims: [8, 16, 32, 64], mixers: pool, head_dim: 8}
seeds: [0, 1, 2]
ablations:
  token mixer:
    model.mixers: [identity, attention]
grid:
  model.activation: [gelu, relu]
)";

// Final accuracy per seed by label. The relu cell is far below the gelu cell, so a comparison
// across cells would be off by some 30 points.
const std::map<std::string, std::vector<double>> kAcc = {
    {"baseline, model.activation=gelu", {0.80, 0.82, 0.84}},
    {"baseline, model.activation=relu", {0.50, 0.52, 0.53}},
    {"model.mixers=identity, model.activation=gelu", {0.70, 0.71, 0.75}},
    {"model.mixers=identity, model.activation=relu", {0.55, 0.56, 0.60}},
    {"model.mixers=attention, model.activation=gelu", {0.85, 0.86, 0.90}},
    {"model.mixers=attention, model.activation=relu", {0.45, 0.47, 0.49}},
};

void fill(const std::string& path, const std::string& yaml) {
  const SweepSpec spec = parse_sweep(yaml, "cells.yaml", results_catalog());
  std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  for (Job& job : jobs) job.params = 4270, job.macs = 63000;  // a tiny model: 0.00427 M, 0.000063 G
  ResultStore store(path, OpenMode::Writer);
  store.register_sweep(spec, yaml, jobs, false);
  for (const Job& job : jobs) {
    store.job_started(job.id, "host");
    store.record_epoch(job.id, tiny_epoch(kAcc.at(job.variant).at(static_cast<size_t>(job.seed)), 3, job.seed));
    store.job_finished(job.id, JobStatus::Done, "", 1.0);
  }
}

const AblationRow& row(const AblationTable& t, const std::string& variant) {
  for (const AblationRow& r : t.rows)
    if (r.variant == variant) return r;
  throw std::runtime_error("no row " + variant);
}

double mean(const std::vector<double>& v) { return (v[0] + v[1] + v[2]) / 3; }

void expect_compared_within_cells(const AblationTable& t) {
  ASSERT_EQ(t.rows.size(), 6u);
  EXPECT_TRUE(t.cells);
  for (const char* cell : {"gelu", "relu"}) {
    const std::string base = std::string("baseline, model.activation=") + cell;
    EXPECT_FALSE(row(t, base).baseline_row) << base;
    EXPECT_FALSE(row(t, base).delta) << base;  // no baseline is tested against another
    for (const char* mixer : {"identity", "attention"}) {
      const std::string label = std::string("model.mixers=") + mixer + ", model.activation=" + cell;
      const AblationRow& r = row(t, label);
      ASSERT_TRUE(r.baseline_row) << label;
      EXPECT_EQ(t.rows[*r.baseline_row].variant, base) << label;
      EXPECT_EQ(r.cell, std::string("model.activation=") + cell);
      ASSERT_TRUE(r.delta) << label;
      EXPECT_NEAR(*r.delta, (mean(kAcc.at(label)) - mean(kAcc.at(base))) * 100, 1e-9) << label;
      const auto expected = paired_t_test(kAcc.at(label), kAcc.at(base));
      ASSERT_TRUE(r.test && expected) << label;
      EXPECT_TRUE(r.test->paired);
      EXPECT_NEAR(r.test->p, expected->p, 1e-12) << label;
    }
  }
  EXPECT_EQ(t.comparisons, 4);  // four variants, each against its own baseline
  // Holm within each cell: a family of two per cell, never one of four over the whole grid.
  EXPECT_EQ(t.families, 2);
  for (const char* cell : {"gelu", "relu"}) {
    std::vector<double> raw;
    for (const char* mixer : {"identity", "attention"})
      raw.push_back(row(t, std::string("model.mixers=") + mixer + ", model.activation=" + cell).test->p);
    const std::vector<double> adjusted = holm_adjust(raw);
    EXPECT_NEAR(*row(t, std::string("model.mixers=identity, model.activation=") + cell).p_adjusted, adjusted[0], 1e-12);
    EXPECT_NEAR(*row(t, std::string("model.mixers=attention, model.activation=") + cell).p_adjusted, adjusted[1],
                1e-12);
  }
  EXPECT_NE(ablation_markdown(t).find("Holm-adjusted (step-down) within each grid/zip cell"), std::string::npos);
  // Best within section and cell: attention under gelu, identity under relu.
  EXPECT_TRUE(row(t, "model.mixers=attention, model.activation=gelu").best);
  EXPECT_FALSE(row(t, "model.mixers=identity, model.activation=gelu").best);
  EXPECT_TRUE(row(t, "model.mixers=identity, model.activation=relu").best);
  EXPECT_FALSE(row(t, "model.mixers=attention, model.activation=relu").best);
  EXPECT_NE(ablation_markdown(t).find("baseline of the same grid/zip cell"), std::string::npos);
}

TEST(AblationCells, VariantsAreComparedWithTheirOwnCellsBaseline) {
  TempDir dir;
  fill(dir.file("c.db"), kCellSweep);
  ResultStore store(dir.file("c.db"), OpenMode::ReadOnly);
  const AblationTable t = build_ablation(store, "cells");
  expect_compared_within_cells(t);
  // Tiny counts (4,270 params, 63,000 MACs) are given in K, the unit their largest value reads
  // best in, with three significant digits and no exponent: not 0.00427 M and 0.0000630 G.
  const std::string md = ablation_markdown(t);
  EXPECT_NE(md.find("| params (K) | MACs (K) |"), std::string::npos) << md;
  EXPECT_NE(md.find(" 4.27 |     63.0 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("e-0"), std::string::npos) << md;
  // Concretely: identity under relu is +5.33 points over the relu baseline (not -25 against gelu's).
  EXPECT_NEAR(*row(t, "model.mixers=identity, model.activation=relu").delta, 5.333333333, 1e-6);
}

TEST(AblationCells, ADatabaseWithoutRecordedCellsGivesTheSameTable) {
  TempDir dir;
  fill(dir.file("old.db"), kCellSweep);
  {  // what metasweep wrote before schema v4: no cell column
    Database db(dir.file("old.db"), Database::Access::ReadWrite);
    db.exec(std::string(kUndoSchemaV6) +
            "ALTER TABLE sweep_jobs DROP COLUMN cell; ALTER TABLE removed_sweep_jobs DROP COLUMN "
            "cell; "
            "ALTER TABLE jobs DROP COLUMN failures; PRAGMA user_version = 3");
  }
  ResultStore store(dir.file("old.db"), OpenMode::ReadOnly);
  const AblationTable t = build_ablation(store, "cells");
  for (const AblationRow& r : t.rows) EXPECT_FALSE(r.group.jobs.front().cell.has_value());
  expect_compared_within_cells(t);
}

TEST(AblationCells, ACellWhoseBaselineIsExcludedHasNoDelta) {
  TempDir dir;
  // The baseline's mixer is pool: this entry drops only the relu baseline.
  fill(dir.file("x.db"), std::string(kCellSweep) + "exclude:\n  - {model.mixers: pool, model.activation: relu}\n");
  ResultStore store(dir.file("x.db"), OpenMode::ReadOnly);
  const AblationTable t = build_ablation(store, "cells");
  ASSERT_EQ(t.rows.size(), 5u);
  const AblationRow& r = row(t, "model.mixers=identity, model.activation=relu");
  EXPECT_FALSE(r.baseline_row);
  EXPECT_FALSE(r.delta);
  EXPECT_FALSE(r.test);
  EXPECT_EQ(t.cells_without_baseline, 2);
  EXPECT_EQ(t.comparisons, 2);  // only the gelu cell's two variants
  EXPECT_NEAR(*row(t, "model.mixers=identity, model.activation=gelu").delta, (0.72 - 0.82) * 100, 1e-9);
  EXPECT_NE(ablation_markdown(t).find("2 rows have no Δ: the exclusions removed the baseline of its grid/zip cell"),
            std::string::npos)
      << ablation_markdown(t);
}

TEST(AblationCells, ReportPlotsShowEachCellsBaseline) {
  TempDir dir;
  fill(dir.file("c.db"), kCellSweep);
  ResultStore store(dir.file("c.db"), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, "cells", dir.file("report"));
  const std::string md = read_file(files.markdown);
  EXPECT_NE(md.find("baseline of the same grid/zip cell"), std::string::npos) << md;
  ASSERT_TRUE(gnuplot_available()) << "make test installs gnuplot";
  EXPECT_NE(md.find("first columns\\: the baseline of each grid/zip cell"), std::string::npos) << md;
  EXPECT_NE(md.find("dashed\\: each grid/zip cell's baseline"), std::string::npos) << md;
  for (const char* plot : {"section1_dots.svg", "section1_test_acc.svg"}) {
    const std::string svg = read_file(dir.file("report") + "/plots/" + plot);
    for (const char* base : {"baseline, model.activation=gelu", "baseline, model.activation=relu"})
      EXPECT_NE(svg.find(base), std::string::npos) << plot << " lacks " << base;
  }
}

TEST(AblationCells, WithoutGridEveryVariantHasTheOneBaseline) {
  TempDir dir;
  fill_tiny_db(dir.file("t.db"));
  ResultStore store(dir.file("t.db"), OpenMode::ReadOnly);
  const AblationTable t = build_ablation(store, "tiny");
  EXPECT_FALSE(t.cells);
  for (const AblationRow& r : t.rows) {
    EXPECT_EQ(r.cell, "");
    if (r.section != "baseline") {
      ASSERT_TRUE(r.baseline_row);
      EXPECT_EQ(*r.baseline_row, 0u);
    }
  }
  EXPECT_EQ(ablation_markdown(t).find("grid/zip"), std::string::npos);
}

// The note under the table says why there is no test, and only what is true: a sweep without
// variants has nothing to compare (not "too few seeds"); a baseline whose seeds all failed has
// no done seed, and none is coming ("yet" only while a baseline job is pending or running).
TEST(AblationNote, SaysTheTrueReasonForNoTest) {
  TempDir dir;
  const std::string yaml = R"(name: alone
base:
  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}
  model: {depths: [1, 1, 1, 1], dims: [8, 16, 32, 64], mixers: pool, head_dim: 8}
seeds: [0, 1, 2]
)";
  const SweepSpec spec = parse_sweep(yaml, "alone.yaml", results_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  {
    ResultStore store(dir.file("a.db"), OpenMode::Writer);
    store.register_sweep(spec, yaml, jobs, false);
    for (const Job& job : jobs) {
      store.job_started(job.id, "host");
      store.record_epoch(job.id, tiny_epoch(0.8, 3, job.seed));
      store.job_finished(job.id, JobStatus::Done, "", 1.0);
    }
  }
  const std::string alone = ablation_markdown(dir.file("a.db"), "alone");
  EXPECT_NE(alone.find("the table has no variant to compare, so no test."), std::string::npos) << alone;
  EXPECT_EQ(alone.find("2 done seeds"), std::string::npos) << alone;

  const std::string with_variant = std::string(yaml) + "ablations:\n  token mixer:\n    model.mixers: [identity]\n";
  const SweepSpec spec2 = parse_sweep(with_variant, "failed.yaml", results_catalog());
  const std::vector<Job> jobs2 = expand_sweep(spec2, results_catalog());
  {
    ResultStore store(dir.file("f.db"), OpenMode::Writer);
    store.register_sweep(spec2, with_variant, jobs2, false);
    for (const Job& job : jobs2) {
      store.job_started(job.id, "host");
      if (job.variant == "baseline") {
        store.job_finished(job.id, JobStatus::Failed, "boom", 1.0);
      } else {
        store.record_epoch(job.id, tiny_epoch(0.7, 3, job.seed));
        store.job_finished(job.id, JobStatus::Done, "", 1.0);
      }
    }
  }
  const std::string failed = ablation_markdown(dir.file("f.db"), "alone");
  EXPECT_NE(failed.find("the baseline has no done seed (its jobs failed or diverged)"), std::string::npos) << failed;
  EXPECT_EQ(failed.find(" yet"), std::string::npos) << failed;
}

}  // namespace
}  // namespace ms::test
