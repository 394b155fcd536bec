// Issue 13 hardening of the sweep library: the size of a sweep is counted before anything is
// expanded (a 1000 x 1000 grid or 5001 seeds x 2 variants is refused at once with the count, and a raised
// limit lets it through), the name rules of names.h, and user_message() cutting LibTorch's
// backtrace off an error.
#include <string>

#include <gtest/gtest.h>

#include "sweeps/errors.h"
#include "sweeps/job.h"
#include "sweeps/names.h"
#include "sweeps/sweep_spec.h"
#include "tests/sweeps/test_catalog.h"

namespace ms {
namespace {

std::string list_of(int n) {
  std::string text = "[";
  for (int i = 0; i < n; ++i) text += (i ? ", " : "") + std::to_string(i);
  return text + "]";
}

TEST(SweepLimits, HugeGridIsRefusedBeforeItIsExpanded) {
  // 1000 x 1000 cells: the product is never built (it used to die with std::bad_alloc).
  const std::string yaml = "name: big\ngrid:\n  task.optimizer.lr: " + list_of(1000) +
                           "\n  task.optimizer.weight_decay: " + list_of(1000) + "\n";
  try {
    parse_sweep(yaml, "big.yaml", test::test_catalog());
    FAIL() << "a 1000000-job sweep was accepted";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("1000000 jobs"), std::string::npos) << what;
    EXPECT_NE(what.find("--max-jobs"), std::string::npos) << what;
    EXPECT_EQ(what.rfind("big.yaml: error: ", 0), 0u) << what;
  }
}

TEST(SweepLimits, ManySeedsAreRefusedWithTheCountAndAllowedByARaisedLimit) {
  const std::string yaml = "name: seeds\nseeds: " + list_of(5001) + "\nablations:\n  p:\n    model.pool_size: [5]\n";
  try {
    parse_sweep(yaml, "seeds.yaml", test::test_catalog());
    FAIL() << "10002 jobs accepted under the default limit";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("10002 jobs (2 variants x 1 grid/zip cells x 5001 seeds)"), std::string::npos)
        << e.what();
  }
  const SweepSpec spec = parse_sweep(yaml, "seeds.yaml", test::test_catalog(), 10002);
  EXPECT_EQ(expand_sweep(spec, test::test_catalog()).size(), 10002u);
}

TEST(SweepLimits, TheRefusalNamesTheWholeCountNotThePartOneSeenSoFar) {
  // 4 variants x 2 seeds = 8: the count once used to stop at the section that crossed the limit
  // ("6 jobs (3 variants ...); pass --max-jobs 6"), and 6 then gave "8".
  const std::string yaml =
      "name: tiny\nseeds: [0, 1]\nablations:\n  a:\n    model.pool_size: [5, 7]\n  b:\n    model.norm: [none]\n";
  for (int64_t limit : {3, 6, 7}) {
    try {
      parse_sweep(yaml, "tiny.yaml", test::test_catalog(), limit);
      FAIL() << "accepted under --max-jobs " << limit;
    } catch (const UsageError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("expands to 8 jobs (4 variants x 1 grid/zip cells x 2 seeds)"), std::string::npos) << what;
      EXPECT_NE(what.find("pass --max-jobs 8 to allow it"), std::string::npos) << what;
    }
  }
  EXPECT_EQ(expand_sweep(parse_sweep(yaml, "tiny.yaml", test::test_catalog(), 8), test::test_catalog()).size(), 8u);
}

TEST(SweepLimits, GridAndZipCellsAreCountedBeforeTheyAreBuilt) {
  const std::string yaml =
      "name: g\nablations:\n  p:\n    model.pool_size: [5]\ngrid:\n  model.activation: [gelu, relu]\n  model.norm: "
      "[none, group1, layernorm]\nzip:\n  - {model.drop_path: [0.1, 0.2], model.layer_scale: [0, 1]}\n";
  try {
    parse_sweep(yaml, "g.yaml", test::test_catalog(), 10);
    FAIL() << "24 jobs accepted under a limit of 10";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("24 jobs (2 variants x 12 grid/zip cells x 1 seeds)"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(parse_sweep(yaml, "g.yaml", test::test_catalog(), 24).cells.size(), 12u);
}

TEST(SweepLimits, BeyondAnyLimitGivesNoAdvice) {
  // 1000^7 cells: more than an int64 --max-jobs can allow; nothing is built.
  std::string yaml = "name: huge\ngrid:\n";
  const char* keys[] = {"task.optimizer.lr",          "task.optimizer.weight_decay", "task.label_smoothing",
                        "task.schedule.min_lr",       "model.layer_scale",           "task.grad_clip",
                        "task.schedule.warmup_epochs"};
  for (const char* key : keys) yaml += std::string("  ") + key + ": " + list_of(1000) + "\n";
  try {
    parse_sweep(yaml, "huge.yaml", test::test_catalog());
    FAIL() << "accepted";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("expands to 1e+21 jobs (1 variants x 1e+21 grid/zip cells x 1 seeds)"), std::string::npos)
        << what;
    EXPECT_NE(what.find("no limit allows that many"), std::string::npos) << what;
    EXPECT_EQ(what.find("pass --max-jobs"), std::string::npos) << what;
  }
}

TEST(SweepLimits, ExactlyAtTheLimitIsAccepted) {
  const std::string yaml = "name: edge\nseeds: [0, 1]\ngrid:\n  model.pool_size: [3, 5]\n";
  EXPECT_EQ(expand_sweep(parse_sweep(yaml, "e.yaml", test::test_catalog(), 4), test::test_catalog()).size(), 4u);
  EXPECT_THROW(parse_sweep(yaml, "e.yaml", test::test_catalog(), 3), UsageError);
}

TEST(NameRules, AcceptsOrdinaryUnicodeAndRefusesControlCharacters) {
  EXPECT_FALSE(name_problem("[P,P,A,A]", "label", false));
  EXPECT_FALSE(name_problem("Δ café 注意", "label", false));
  EXPECT_FALSE(name_problem("baseline", "sweep name", true));
  EXPECT_TRUE(name_problem("baseline", "label", false));
  for (const std::string& bad :
       {std::string("a\nb"), std::string("a\rb"), std::string("a\x1b[31mb"), std::string("a\x7f"),
        std::string("a\0b", 3), std::string("\xc3"), std::string("\xed\xa0\x80"), std::string("")}) {
    const auto problem = name_problem(bad, "label", false);
    ASSERT_TRUE(problem) << printable(bad);
    EXPECT_TRUE(valid_utf8(*problem)) << "the message itself must be clean UTF-8";
    EXPECT_EQ(problem->find('\n'), std::string::npos) << *problem;
  }
}

TEST(NameRules, FirstInvalidUtf8HasLineAndColumn) {
  const auto at = first_invalid_utf8("name: x\nablations:\n  caf\xc3\xa9 \xff\n");
  ASSERT_TRUE(at);
  EXPECT_EQ(at->line, 3);
  EXPECT_EQ(at->col, 9);
  EXPECT_FALSE(first_invalid_utf8("name: caf\xc3\xa9\n"));
}

TEST(UserMessage, CutsTheLibTorchBacktrace) {
  const std::string what =
      "DefaultCPUAllocator: not enough memory: you tried to allocate 160000000000 bytes.\n"
      "Exception raised from allocate at ../c10/core/impl/alloc_cpu.cpp:81 (most recent call first):\n"
      "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x57 (0x7f in /usr/lib/libc10.so)\n"
      "frame #1: <unknown function> + 0x1234 (0x7f in /usr/lib/libc10.so)\n";
  EXPECT_EQ(user_message(what), "DefaultCPUAllocator: not enough memory: you tried to allocate 160000000000 bytes.");
  EXPECT_EQ(user_message("plain message"), "plain message");
  EXPECT_EQ(user_message("frame #0: only a trace"), "frame #0: only a trace");
}

}  // namespace
}  // namespace ms
