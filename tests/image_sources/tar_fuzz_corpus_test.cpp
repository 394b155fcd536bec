// Replays tar_fuzzer's regression corpus (tests/fuzz/corpus/tar_fuzzer/: seeds and every shard the
// fuzzer ever broke the contract on) through the same contract check the fuzzer runs
// (tests/fuzz/tar_shard_check.h), so CI checks the shard indexer against them without clang.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/fuzz/tar_shard_check.h"
#include "tests/test_support.h"

namespace ms {
namespace {

TEST(TarFuzz, RegressionCorpusReplays) {
  const std::string dir = test::source_dir() + "/tests/fuzz/corpus/tar_fuzzer";
  int replayed = 0, indexed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const std::string path = entry.path().string();
    EXPECT_EQ(fuzz::tar_shard_problem(path, std::filesystem::file_size(path)), "");
    try {
      indexed += !index_tar_shards(path).records.empty();
    } catch (const std::runtime_error&) {
    }
    ++replayed;
  }
  EXPECT_GT(replayed, 0) << "empty corpus " << dir;
  EXPECT_GT(indexed, 0) << "no shard of the corpus indexes: the contract's index checks never ran";
}

}  // namespace
}  // namespace ms
