// `metasweep compare`: two sweeps matched variant by variant, Δ = B − A with its interval and a
// paired t-test checked against the closed form of the t distribution at df = 2; variants on one
// side only; every output format; the binary with one database and with two.
#include "results/reports/compare.h"

#include <algorithm>
#include <cmath>
#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/results/csv_reader.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

const char* kSweepB = R"(name: tiny4
base:
  task: {dataset: synthetic-images, epochs: 4, batch_size: 16, optimizer: {lr: 1.0e-3}}
  model: {depths: [1, 1, 1, 1], dims: [8, 16, 32, 64], mixers: pool, head_dim: 8}
seeds: [0, 1, 2]
ablations:
  token mixer:
    - {model.mixers: identity}
    - {model.mixers: attention}
  activation:
    model.activation: [relu]
)";

// B's final accuracies by seed: baseline +0.01, +0.02, +0.00 over A's (mean +1 pt, sd 1 pt);
// identity exactly A's (no difference, no test); attention +0.03 on every seed (sd 0).
const std::map<std::string, std::vector<double>> kAccB = {{"baseline", {0.81, 0.84, 0.84}},
                                                          {"model.mixers=identity", {0.70, 0.71, 0.75}},
                                                          {"model.mixers=attention", {0.88, 0.89, 0.93}},
                                                          {"model.activation=relu", {0.60, 0.61, 0.62}}};

void fill_b(const std::string& path) {
  const SweepSpec spec = parse_sweep(kSweepB, "tiny4.yaml", results_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  ResultStore store(path, OpenMode::Writer);
  store.register_sweep(spec, kSweepB, jobs, false);
  for (const Job& job : jobs) {
    store.job_started(job.id, "host-b");
    EpochMetrics m = tiny_epoch(kAccB.at(job.variant).at(static_cast<size_t>(job.seed)), 3, job.seed);
    m.epoch = 4;
    store.record_epoch(job.id, m);
    store.job_finished(job.id, JobStatus::Done, "", 1.0);
  }
}

class Compare : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fill_tiny_db(dir_->file("ab.db"));
    fill_b(dir_->file("ab.db"));
    fill_b(dir_->file("b.db"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
};

TempDir* Compare::dir_ = nullptr;

TEST_F(Compare, MatchesVariantsAndTestsTheDifference) {
  const ResultStore store(dir_->file("ab.db"), OpenMode::ReadOnly);
  const Comparison c = compare_sweeps(store, "tiny", store, "tiny4");
  ASSERT_EQ(c.rows.size(), 7u);  // A's 6 variants, then B's relu
  EXPECT_EQ(c.rows[0].variant, "baseline");
  EXPECT_EQ(c.rows[6].variant, "model.activation=relu");
  EXPECT_FALSE(c.rows[6].a);
  EXPECT_FALSE(c.rows[3].b);  // [P,P,A,A] only in A

  // Baseline: paired differences 0.01, 0.02, 0.00 -> t = 0.01 / (0.01 / sqrt 3), df 2,
  // p = 1 - t / sqrt(t^2 + 2) = 0.2254; CI = 1 ± t_{0.975,2} / sqrt 3 points.
  const CompareRow& base = c.rows[0];
  ASSERT_TRUE(base.test && base.ci && base.delta);
  EXPECT_TRUE(base.test->paired);
  EXPECT_NEAR(*base.delta, 1.0, 1e-9);
  const double t = std::sqrt(3.0), p = 1 - t / std::sqrt(t * t + 2);
  EXPECT_NEAR(base.test->p, p, 1e-9);
  EXPECT_NEAR(p, 0.2254, 1e-4);
  const double t975 = 0.95 / std::sqrt(0.04875);
  EXPECT_NEAR(base.ci->low, 1 - t975 / std::sqrt(3.0), 1e-7);
  EXPECT_NEAR(base.ci->high, 1 + t975 / std::sqrt(3.0), 1e-7);
  // Identity: the same accuracies -> Δ 0 and nothing to test; attention: +3 on every seed.
  EXPECT_NEAR(*c.rows[1].delta, 0.0, 1e-9);
  EXPECT_FALSE(c.rows[1].test);
  ASSERT_TRUE(c.rows[2].test);
  EXPECT_LT(c.rows[2].test->p, 1e-9);  // differences equal up to rounding
  EXPECT_NEAR(c.rows[2].ci->low, 3.0, 1e-9);
  // Holm over the two tested variants and identity, equal seed by seed over 3 seeds (a hypothesis
  // with nothing against it: p = 1, which a family that left it out would understate): 3 * ~0,
  // max(2 * 0.2254, that), and 1.
  EXPECT_EQ(c.comparisons, 3);
  EXPECT_NEAR(*base.p_adjusted, 2 * p, 1e-9);
  EXPECT_LT(*c.rows[2].p_adjusted, 1e-8);
  EXPECT_FALSE(c.rows[1].p_adjusted);

  const std::string md = format_comparison(c, OutputFormat::Markdown);
  EXPECT_NE(md.find(" +1.00 | [-1.48, +3.48] |"), std::string::npos) << md;
  EXPECT_NE(md.find("0.451"), std::string::npos) << md;  // 2 * 0.2254
  EXPECT_NE(md.find("for the 3 variants compared"), std::string::npos) << md;
  EXPECT_NE(md.find("over 3 or more seeds the Holm correction counts such a variant as p = 1"), std::string::npos)
      << md;
  EXPECT_NE(md.find("absent"), std::string::npos) << md;
  EXPECT_NE(md.find("Holm-adjusted"), std::string::npos) << md;
  EXPECT_NE(md.find("Student's paired t-test"), std::string::npos) << md;
  const auto json = nlohmann::json::parse(format_comparison(c, OutputFormat::Json));
  ASSERT_EQ(json["rows"].size(), 7u);
  EXPECT_EQ(json["rows"][0]["test"], "paired");
  EXPECT_EQ(json["rows"][0]["seeds_compared"], 3);
  EXPECT_NEAR(json["rows"][0]["delta_pts"].get<double>(), 1.0, 1e-9);
  EXPECT_NEAR(json["rows"][0]["a"]["mean"].get<double>(), 0.82, 1e-12);
  EXPECT_TRUE(json["rows"][6]["a"].is_null());
  const auto csv = parse_csv(format_comparison(c, OutputFormat::Csv));
  ASSERT_EQ(csv.size(), 8u);
  for (const auto& row : csv) {
    EXPECT_EQ(row.size(), csv[0].size());
  }
  const std::string tex = format_comparison(c, OutputFormat::Latex);
  EXPECT_NE(tex.find("\\toprule"), std::string::npos);
  EXPECT_EQ(tex.rfind("% Generated by metasweep compare; needs \\usepackage{booktabs}.\n", 0), 0u) << tex;
  EXPECT_NE(tex.find("need xelatex or lualatex"), std::string::npos) << tex;
  const std::string table = format_comparison(c, OutputFormat::Table);
  EXPECT_NE(table.find("A = tiny, B = tiny4"), std::string::npos) << table;
}

// Two sweeps with no variant in common (a grid sweep against a plain one: every grid label ends
// with its cell) are said to share no variant, not to lack seeds (QA: the note blamed seeds).
TEST_F(Compare, NoSharedVariantIsSaidSo) {
  Comparison c;
  c.sweep_a = "plain";
  c.sweep_b = "grid";
  CompareRow a, b;
  a.section = b.section = "baseline";
  a.variant = "baseline";
  b.variant = "baseline, task.dataset=sort";
  a.a = CompareSide{GroupRow{}, std::nullopt};
  b.b = CompareSide{GroupRow{}, std::nullopt};
  c.rows = {a, b};
  const std::string note = comparison_note(c);
  EXPECT_NE(note.find("no variant is in both sweeps"), std::string::npos) << note;
  EXPECT_EQ(note.find("no variant has 2 done seeds"), std::string::npos) << note;
  c.rows[0].b = CompareSide{GroupRow{}, std::nullopt};  // now one is in both, without done seeds
  EXPECT_NE(comparison_note(c).find("no variant has 2 done seeds on both sides"), std::string::npos);
}

// A seed one side has not done is left out of Δ and the test (B's baseline seed 0 pending: Δ over
// seeds 1 and 2, +2 and 0 points), marked † with a note; in LaTeX the mark is ASCII.
TEST_F(Compare, DeltaIsOverTheSeedsBothSidesHaveDone) {
  const std::string path = dir_->file("b_partial.db");
  fill_b(path);
  {
    ResultStore writer(path, OpenMode::Writer);
    const std::vector<Job> jobs =
        expand_sweep(parse_sweep(kSweepB, "tiny4.yaml", results_catalog()), results_catalog());
    writer.reset_jobs({jobs[0].id});  // baseline seed 0
  }
  const ResultStore a(dir_->file("ab.db"), OpenMode::ReadOnly), b(path, OpenMode::ReadOnly);
  const Comparison c = compare_sweeps(a, "tiny", b, "tiny4");
  const CompareRow& base = c.rows[0];
  ASSERT_TRUE(base.delta && base.test);
  EXPECT_NEAR(*base.delta, 1.0, 1e-9);  // (0.84 - 0.82 + 0.84 - 0.84) / 2; the means differ by 2 points
  EXPECT_NEAR(base.b->value->mean - base.a->value->mean, 0.02, 1e-9);
  EXPECT_TRUE(base.test->paired);
  EXPECT_EQ(base.test->n_a, 2);
  EXPECT_TRUE(base.common_seeds_only);
  EXPECT_EQ(base.seeds_compared, 2);
  const std::string md = format_comparison(c, OutputFormat::Markdown);
  EXPECT_NE(md.find(" +1.00† |"), std::string::npos) << md;
  EXPECT_NE(md.find("†: Δ, its CI and p over only the seeds both sides have done"), std::string::npos) << md;
  EXPECT_EQ(nlohmann::json::parse(format_comparison(c, OutputFormat::Json))["rows"][0]["seeds_compared"], 2);
  const std::string tex = format_comparison(c, OutputFormat::Latex);
  EXPECT_NE(tex.find("+1.00$^\\dagger$"), std::string::npos) << tex;
  for (size_t i = 0; i < tex.size(); ++i)
    ASSERT_LT(static_cast<unsigned char>(tex[i]), 0x80) << "non-ASCII at " << i << ": " << tex.substr(i, 20);
}

// No seed in common and one value on a side: Δ is the means' difference, marked (W), with the
// reason it has no test (an audit found it unmarked, as if paired).
TEST_F(Compare, AMeansDifferenceWithoutATestSaysSo) {
  const std::vector<Job> jobs = expand_sweep(parse_sweep(kSweepB, "tiny4.yaml", results_catalog()), results_catalog());
  const std::string one = dir_->file("identity_seed0.db"), two = dir_->file("identity_seeds12.db");
  fill_b(one);
  fill_b(two);
  ResultStore(one, OpenMode::Writer).reset_jobs({jobs[4].id, jobs[5].id});  // identity seeds 1, 2
  ResultStore(two, OpenMode::Writer).reset_jobs({jobs[3].id});              // identity seed 0
  ASSERT_EQ(jobs[3].variant, "model.mixers=identity");
  const ResultStore a(one, OpenMode::ReadOnly), b(two, OpenMode::ReadOnly);
  const Comparison c = compare_sweeps(a, "tiny4", b, "tiny4");
  const CompareRow& identity = c.rows[1];
  ASSERT_EQ(identity.variant, "model.mixers=identity");
  ASSERT_TRUE(identity.delta);
  EXPECT_NEAR(*identity.delta, ((0.71 + 0.75) / 2 - 0.70) * 100, 1e-9);
  EXPECT_FALSE(identity.test);
  EXPECT_EQ(identity.seeds_compared, 0);  // unpaired: the means of all done seeds
  EXPECT_TRUE(identity.too_few_seeds);
  const std::string md = format_comparison(c, OutputFormat::Markdown);
  EXPECT_NE(md.find("|       +3.00 |           - | n<3 (W) |"), std::string::npos) << md;
  EXPECT_NE(md.find(" n<3 (W): the difference of the means of sides with no seed in common, one of them with a "
                    "single done seed, so no test."),
            std::string::npos)
      << md;
}

// A value compare has not got (no test, a side absent) is an empty CSV cell, as in `results
// --format csv`, never "-" neutralised into "'-" (QA ux #4).
TEST_F(Compare, CsvLeavesMissingValuesEmpty) {
  const ResultStore store(dir_->file("ab.db"), OpenMode::ReadOnly);
  const Comparison c = compare_sweeps(store, "tiny", store, "tiny4");
  const auto csv = parse_csv(format_comparison(c, OutputFormat::Csv));
  ASSERT_EQ(csv.size(), 8u);
  size_t empty = 0;
  for (const auto& row : csv)
    for (const auto& cell : row) {
      EXPECT_NE(cell, "'-");
      EXPECT_NE(cell, "-");
      empty += cell.empty();
    }
  EXPECT_GE(empty, 3u);  // relu has no A side: no delta, CI or p
  const auto col = [&](const char* name) {
    return static_cast<size_t>(std::find(csv[0].begin(), csv[0].end(), name) - csv[0].begin());
  };
  EXPECT_EQ(csv[7].at(col("a_status")), "absent");  // a status stays a word
  EXPECT_EQ(csv[7].at(col("delta")), "");           // its delta
}

// Text hygiene: the LaTeX form is ASCII (the header's Δ B−A once held U+2212, which pdflatex
// refuses) and compiles with pdflatex under T1 + inputenc utf8; the markdown note escapes the
// sweep names.
TEST_F(Compare, LatexIsAsciiAndCompilesAndMarkdownNamesAreEscaped) {
  const ResultStore store(dir_->file("ab.db"), OpenMode::ReadOnly);
  Comparison c = compare_sweeps(store, "tiny", store, "tiny4");
  const std::string tex = format_comparison(c, OutputFormat::Latex);
  for (size_t i = 0; i < tex.size(); ++i)
    ASSERT_LT(static_cast<unsigned char>(tex[i]), 0x80) << "non-ASCII at " << i << ": " << tex.substr(i, 20);
  EXPECT_NE(tex.find("$\\Delta$ B$-$A (pts)"), std::string::npos) << tex;

  ASSERT_EQ(run_command("command -v pdflatex").exit_code, 0) << "pdflatex missing (scripts/install-deps.sh)";
  TempDir dir;
  dir.write("compare.tex", tex);
  dir.write("doc.tex",
            "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n"
            "\\usepackage{booktabs}\n\\begin{document}\n\\input{compare.tex}\n\\end{document}\n");
  const CommandResult r =
      run_command("cd " + dir.path() + " && pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape doc.tex");
  const std::string log = read_file(dir.file("doc.log"));
  EXPECT_EQ(r.exit_code, 0) << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);

  c.sweep_a = "*a* [x](http://y)";
  const std::string md = format_comparison(c, OutputFormat::Markdown);
  EXPECT_NE(md.find("A = \\*a\\* \\[x\\]\\(http\\://y\\), B = tiny4"), std::string::npos) << md;
}

TEST_F(Compare, ThroughTheBinaryWithOneOrTwoDatabases) {
  const std::string bin = shell_quote(metasweep_bin());
  auto run = [](std::string line) { return std::async(std::launch::async, [line] { return run_command(line); }); };
  auto one = run(bin + " compare --db " + shell_quote(dir_->file("ab.db")) + " tiny tiny4 --format json");
  auto two = run(bin + " compare --db " + shell_quote(dir_->file("ab.db")) + " tiny tiny4 --db-b " +
                 shell_quote(dir_->file("b.db")) + " --format json");
  auto missing = run(bin + " compare --db " + shell_quote(dir_->file("ab.db")) + " tiny nope");
  const CommandResult r1 = one.get(), r2 = two.get(), r3 = missing.get();
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  nlohmann::json j1 = nlohmann::json::parse(r1.out), j2 = nlohmann::json::parse(r2.out);
  // The note names the two files when there are two (A = tiny in ab.db, B = tiny4 in b.db).
  EXPECT_NE(j2["note"].get<std::string>().find("A = tiny in " + dir_->file("ab.db") + ", B = tiny4 in " +
                                               dir_->file("b.db") + "."),
            std::string::npos)
      << j2["note"];
  EXPECT_EQ(j1["note"].get<std::string>().rfind("A = tiny, B = tiny4. ", 0), 0u) << j1["note"];
  j1.erase("note"), j2.erase("note");
  EXPECT_EQ(j1, j2);  // same B, other file
  EXPECT_EQ(r3.exit_code, 2) << r3.err;
  EXPECT_NE(r3.err.find("no sweep 'nope'"), std::string::npos) << r3.err;
}

}  // namespace
}  // namespace ms::test
