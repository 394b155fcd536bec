// `plan` through the real binary: a sweep asking for coupled L2 weight decay on a layer-scaled
// model gets exactly one warning line on stderr (not one per job), with the fix, and still plans
// (exit 0, the table on stdout); the per-optimizer defaults get none.
#include <algorithm>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace ms::test {
namespace {

std::string sweep(const std::string& optimizer) {
  return "name: advice\nbase:\n  task: {dataset: reverse, seq_len: 8, optimizer: " + optimizer +
         "}\n  model: {arch: sequence, depths: [1], dims: [16]}\nseeds: [0, 1, 2]\nablations:\n  mixer:\n"
         "    model.mixers: [identity, spatial_fc]\n";
}

TEST(CliAdvice, CoupledWeightDecayIsWarnedOncePerSweep) {
  TempDir dir;
  const auto r =
      run_command(metasweep_bin() + " plan " + dir.write("l2.yaml", sweep("{name: adam, weight_decay: 0.05}")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("warning: 9 of 9 jobs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("adamw"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("9 jobs"), std::string::npos) << r.out;

  const auto quiet = run_command(metasweep_bin() + " plan " + dir.write("adam.yaml", sweep("{name: adam}")));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

}  // namespace
}  // namespace ms::test
