// A deterministic mutation fuzzer over the example sweep files, run in the unit tests: every
// mutated file either plans or fails with a SpecError/UsageError (never a crash or another
// exception type). The libFuzzer target in tests/fuzz/ explores further (make fuzz); every input
// it ever crashed on lives in tests/fuzz/corpus/sweep_fuzzer/ and is replayed here, so CI checks
// the fixes without clang.
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "sweeps/errors.h"
#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"
#include "tests/sweeps/test_catalog.h"
#include "tests/test_support.h"

namespace ms {
namespace {

std::string mutate(std::string text, std::mt19937& rng) {
  static const std::string kAlphabet = "{}[]:,-#'\" \n\t.0123456789eE+abcxyz|>&*!%@`";
  const int edits = 1 + rng() % 4;
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const size_t pos = rng() % text.size();
    switch (rng() % 4) {
      case 0:
        text[pos] = kAlphabet[rng() % kAlphabet.size()];
        break;
      case 1:
        text.erase(pos, 1 + rng() % 8);
        break;
      case 2:
        text.insert(pos, 1, kAlphabet[rng() % kAlphabet.size()]);
        break;
      case 3: {  // duplicate a line fragment elsewhere
        const size_t from = rng() % text.size();
        text.insert(pos, text.substr(from, rng() % 40));
        break;
      }
    }
  }
  return text;
}

TEST(SweepFuzz, MutatedExamplesNeverCrash) {
  std::mt19937 rng(12345);
  int parsed = 0, rejected = 0;
  for (const char* name :
       {"demo.yaml", "poolformer_s12_ablation.yaml", "kv_transformer_synthetic.yaml", "gmlp_vs_attention.yaml"}) {
    const std::string original = test::read_file(test::source_dir() + "/sweeps/" + name);
    ASSERT_FALSE(original.empty()) << name;
    for (int i = 0; i < 400; ++i) {
      const std::string text = mutate(original, rng);
      try {
        expand_sweep(parse_sweep(text, "fuzz.yaml", test::test_catalog()), test::test_catalog());
        ++parsed;
      } catch (const SpecError& e) {
        EXPECT_EQ(std::string(e.what()).rfind("fuzz.yaml:", 0), 0u) << e.what();
        ++rejected;
      } catch (const UsageError&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 100);  // the mutations do hit the validator
  EXPECT_GT(parsed, 10);     // and some still plan
}

TEST(SweepFuzz, RegressionCorpusReplays) {
  const std::string dir = test::source_dir() + "/tests/fuzz/corpus/sweep_fuzzer";
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
    const std::string text = test::read_file(entry.path().string());
    SCOPED_TRACE(entry.path().filename().string());
    try {
      expand_sweep(parse_sweep(text, "fuzz.yaml", test::test_catalog()), test::test_catalog());
    } catch (const SpecError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.yaml:", 0), 0u) << e.what();
    } catch (const UsageError&) {
    }  // anything else escapes and fails the test
    ++replayed;
  }
  EXPECT_GT(replayed, 0) << "empty corpus " << dir;
}

}  // namespace
}  // namespace ms
