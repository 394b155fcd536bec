// Spearman's rho needs at least 3 pairs (QA ux #6): over 2 it is +1 or -1 by construction, so
// spearman() returns none and the ablation note says why there is no rank correlation instead of
// printing "rho = -1.00 over 2 variants" (which also counted the baseline as a variant).
#include <string>

#include <gtest/gtest.h>

#include "results/reports/ablation.h"
#include "results/reports/stats.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

TEST(SpearmanPairs, TwoPairsGiveNoRho) {
  EXPECT_FALSE(spearman({1, 2}, {2, 1}));
  EXPECT_FALSE(spearman({1, 2}, {1, 2}));
  EXPECT_FALSE(spearman({1}, {1}));
  ASSERT_TRUE(spearman({1, 2, 3}, {1, 3, 2}));
  EXPECT_NEAR(*spearman({1, 2, 3}, {1, 3, 2}), 0.5, 1e-12);
}

// The tiny sweep, every job done, with the `drop` reference entries taken out of its text.
AblationTable ablation_with_references(const TempDir& dir, const std::vector<std::string>& drop) {
  std::string text = kTinySweep;
  for (const auto& r : drop) {
    const size_t at = text.find(r);
    EXPECT_NE(at, std::string::npos) << r;
    text.erase(at, r.size());
  }
  const SweepSpec spec = parse_sweep(text, "tiny.yaml", results_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  {
    ResultStore store(dir.file("r.db"), OpenMode::Writer);
    store.register_sweep(spec, text, jobs, false);
    for (const Job& job : jobs) {
      const double acc = std::max(0.5, tiny_final_acc().at(job.variant).at(static_cast<size_t>(job.seed)));
      store.job_started(job.id, "h");
      store.record_epoch(job.id, tiny_epoch(acc, 1, job.seed));
      store.job_finished(job.id, JobStatus::Done, "", 1.0);
    }
  }
  const ResultStore store(dir.file("r.db"), OpenMode::ReadOnly);
  return build_ablation(store, "tiny");
}

TEST(SpearmanPairs, AblationNoteSaysWhyThereIsNoRhoOverTwoRows) {
  TempDir dir;
  const AblationTable t = ablation_with_references(dir, {", reference: 76.0", ", reference: 78.0"});
  EXPECT_EQ(t.reference_n, 2);  // the baseline and identity
  EXPECT_FALSE(t.spearman);
  const std::string md = ablation_markdown(t);
  EXPECT_EQ(md.find("ρ ="), std::string::npos) << md;
  EXPECT_NE(md.find("No rank correlation with the reference: 2 rows with a reference value (ρ needs 3"),
            std::string::npos)
      << md;
  const std::string tex = ablation_latex(t);
  EXPECT_NE(tex.find("($\\rho$ needs 3"), std::string::npos) << tex;
}

TEST(SpearmanPairs, AblationNoteGivesRhoOverThreeRows) {
  TempDir dir;
  const AblationTable t = ablation_with_references(dir, {", reference: 78.0"});
  EXPECT_EQ(t.reference_n, 3);
  ASSERT_TRUE(t.spearman);
  EXPECT_NE(ablation_markdown(t).find("over 3 rows with a reference value."), std::string::npos);
}

}  // namespace
}  // namespace ms::test
