// Replays image_fuzzer's regression corpus (tests/fuzz/corpus/image_fuzzer/: seeds and every input
// the fuzzer ever broke the contract on) through the same contract check the fuzzer runs
// (tests/fuzz/image_decode_check.h), so CI checks the decoders against them without clang.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/fuzz/image_decode_check.h"
#include "tests/test_support.h"

namespace ms {
namespace {

TEST(ImageFuzz, RegressionCorpusReplays) {
  const std::string dir = test::source_dir() + "/tests/fuzz/corpus/image_fuzzer";
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(fuzz::image_decode_problem(test::read_file(entry.path().string())), "");
    ++replayed;
  }
  EXPECT_GT(replayed, 0) << "empty corpus " << dir;
}

}  // namespace
}  // namespace ms
