// The `--where` parser on hostile text: every input the libFuzzer target (tests/fuzz/where_fuzzer)
// ever crashed on, kept in tests/fuzz/corpus/where_fuzzer/, plus hand-picked edge cases. Each must
// parse into SQL whose placeholders match its bound values, or raise ms::UsageError naming --where.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "results/store/where.h"
#include "sweeps/errors.h"
#include "tests/test_support.h"

namespace ms {
namespace {

// Returns true when the expression parsed; fails the test on any other exception type.
bool parse_or_reject(const std::string& expr) {
  try {
    const SqlFilter f = where_sql(parse_where(expr));
    EXPECT_EQ(static_cast<size_t>(std::count(f.sql.begin(), f.sql.end(), '?')), f.params.size()) << f.sql;
    return true;
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--where", 0), 0u) << e.what();
    return false;
  }
}

TEST(WhereCorpus, RegressionCorpusReplays) {
  const std::string dir = test::source_dir() + "/tests/fuzz/corpus/where_fuzzer";
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
    SCOPED_TRACE(entry.path().filename().string());
    parse_or_reject(test::read_file(entry.path().string()));
    ++replayed;
  }
  EXPECT_GT(replayed, 0) << "empty corpus " << dir;
}

TEST(WhereCorpus, InvalidUtf8IsRejected) {
  for (const std::string expr : {"model.mixers=[pool, \xff]", "model.norm=\xc3", "\xff=1", "model.norm=\xed\xa0\x80",
                                 "model.norm=\xc0\xaf", "model.norm=\xf4\x90\x80\x80", "model.mixers=[\"\xe2\x82\"]"})
    EXPECT_FALSE(parse_or_reject(expr)) << expr;
}

TEST(WhereCorpus, EdgeCasesParseOrReject) {
  EXPECT_TRUE(parse_or_reject("task.data_dir=caf\xc3\xa9"));  // valid UTF-8 is fine
  EXPECT_TRUE(parse_or_reject("model.mixers=[]"));
  EXPECT_TRUE(parse_or_reject("model.mixers=[,]"));
  EXPECT_TRUE(parse_or_reject("model.mixers=[[1],{\"a\":2}]"));
  EXPECT_TRUE(parse_or_reject("model.depths=[1e308, -1e308, 1e15]"));
  EXPECT_TRUE(parse_or_reject(std::string("task.data_dir=a\0b", 17)));
  EXPECT_TRUE(parse_or_reject("variant=\"=x\""));
  EXPECT_TRUE(parse_or_reject("model.mixers=\"[pool, \"\"a\"\"]\""));
  // A value that is not one whole quoted string is literal text, quotes and all.
  EXPECT_TRUE(parse_or_reject("variant=\""));
  EXPECT_TRUE(parse_or_reject("variant=\"a\"b\""));
  for (const std::string& expr :
       std::vector<std::string>{"", "=", "<", "!", "!=", "<=>", "a", "[", "]=[", "test_acc<1e999", "seed>nan",
                                "variant==x", std::string(100000, '='), std::string(1, '\0')})
    EXPECT_FALSE(parse_or_reject(expr)) << expr.substr(0, 40);
}

}  // namespace
}  // namespace ms
