// csv_field() (results/reports/text_table.h) keeps a CSV unambiguous while neutralising formulas
// (QA ux #4): text that already starts with an apostrophe gets one more, so "=x" and "'=x" (and
// "-x"/"'-x", "@x"/"'@x", "+x"/"'+x") stay different and one rule reverses it (drop a leading
// '); numbers and the lone "-" stay as they are.
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "results/reports/text_table.h"
#include "tests/results/csv_reader.h"

namespace ms {
namespace {

TEST(CsvEscape, ApostropheTextKeepsItsOwnApostrophe) {
  EXPECT_EQ(csv_neutralise("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  EXPECT_EQ(csv_neutralise("'=HYPERLINK(1)"), "''=HYPERLINK(1)");
  EXPECT_EQ(csv_neutralise("'quoted'"), "''quoted'");
  EXPECT_EQ(csv_neutralise("it's"), "it's");  // an apostrophe inside text is nobody's prefix
  EXPECT_EQ(csv_neutralise("-"), "-");
  EXPECT_EQ(csv_neutralise("--"), "'--");
  EXPECT_EQ(csv_neutralise("-0.25"), "-0.25");
  EXPECT_EQ(csv_neutralise("+1e-3"), "+1e-3");
}

TEST(CsvEscape, DifferentTextStaysDifferentAndReverses) {
  const std::vector<std::string> texts = {"=x", "'=x", "''=x", "-x", "'-x", "@x",  "'@x", "+x",   "'+x", "'x",
                                          "x",  "-",   "'-",   "--", "-1",  "'-1", "\tx", "'\tx", "",    "'"};
  std::set<std::string> seen;
  for (const auto& t : texts) {
    const std::string field = csv_field(t);
    EXPECT_TRUE(seen.insert(field).second) << "collides: " << t;
    const auto parsed = test::parse_csv(field + "\r\n");
    ASSERT_EQ(parsed.size(), 1u) << field;
    std::string cell = parsed[0].empty() ? "" : parsed[0][0];
    if (!cell.empty() && cell[0] == '\'') cell.erase(0, 1);  // the documented way back
    EXPECT_EQ(cell, t) << field;
  }
}

}  // namespace
// CSV numbers read back exactly, written as people write them: 740 and 31440, not 7.4e+02 and
// 3.144e+04; an exponent only outside 1e-4..1e15.
TEST(CsvNumbers, ShortestReadsBackAndAvoidsNeedlessExponents) {
  EXPECT_EQ(shortest(740), "740");
  EXPECT_EQ(shortest(31440), "31440");
  EXPECT_EQ(shortest(50), "50");
  EXPECT_EQ(shortest(0.8123), "0.8123");
  EXPECT_EQ(shortest(0.001), "0.001");
  EXPECT_EQ(shortest(11915176), "11915176");
  EXPECT_EQ(shortest(1e-7), "1e-07");
  EXPECT_EQ(shortest(2e20), "2e+20");
  EXPECT_EQ(shortest(-0.0005), "-0.0005");
  for (double v : {740.0, 0.1 + 0.2, 1.0 / 3, 123456.789, 4234.0987654321, 1e-4, 9.99e14})
    EXPECT_EQ(std::strtod(shortest(v).c_str(), nullptr), v) << shortest(v);
}

}  // namespace ms
