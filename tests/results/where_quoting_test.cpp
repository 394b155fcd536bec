// `--where` with labels that start with an operator character (QA ux #5): "==" is refused with a
// hint (it once read as "=" and silently dropped the value's leading "="); a value in double
// quotes is matched exactly ("" for a quote in it), which selects labels such as "=x", "<5
// epochs", ">1M params", "!residual", "\"q\"" and " padded "; unquoted ones starting with an
// operator character are refused with a hint to quote them; a value that is not one whole quoted
// string stays literal text.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "results/store/query.h"
#include "results/store/where.h"
#include "sweeps/errors.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

std::string rejection(const std::string& expr) {
  try {
    parse_where(expr);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(WhereQuoting, DoubleEqualsIsRefusedWithAHint) {
  const std::string why = rejection("variant==HYPERLINK(\"http://evil\",\"x\")");
  EXPECT_NE(why.find("'==' is not an operator: write 'variant=VALUE'"), std::string::npos) << why;
  EXPECT_NE(why.find("variant=\"=...\""), std::string::npos) << why;
  EXPECT_NE(rejection("seed==1"), "");
}

TEST(WhereQuoting, QuotedValuesAreExact) {
  EXPECT_EQ(parse_where("variant=\"=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\"").value,
            "=HYPERLINK(\"http://evil\",\"x\")");
  EXPECT_EQ(parse_where("section=\"<5 epochs\"").value, "<5 epochs");
  EXPECT_EQ(parse_where("variant!=\">1M params\"").op, WhereOp::Ne);
  EXPECT_EQ(parse_where("variant!=\">1M params\"").value, ">1M params");
  EXPECT_EQ(parse_where("variant = \"!residual\" ").value, "!residual");
  EXPECT_EQ(parse_where("variant=\" padded \"").value, " padded ");
  EXPECT_EQ(parse_where("variant=\"\"\"q\"\"\"").value, "\"q\"");
  EXPECT_EQ(parse_where("variant=plain").value, "plain");
  EXPECT_EQ(parse_where("variant=a\"b").value, "a\"b");  // a quote inside an unquoted value is text
  EXPECT_EQ(parse_where("seed=\"1\"").number, 1.0);
}

TEST(WhereQuoting, UnquotedOperatorValuesAreRefusedWithAHint) {
  std::string why = rejection("variant=<img src=x onerror=alert(1)>");
  EXPECT_NE(why.find("unknown operator '=<'"), std::string::npos) << why;
  EXPECT_NE(why.find("quote it: variant=\"<img src=x onerror=alert(1)>\""), std::string::npos) << why;
  why = rejection("variant=>x");
  EXPECT_NE(why.find("quote it: variant=\">x\""), std::string::npos) << why;
  EXPECT_NE(rejection("variant=\"\""), "");  // an empty value
}

// A value that is not one whole quoted string is text, quotes and all (as before quoting existed).
TEST(WhereQuoting, PartlyQuotedValuesAreLiteral) {
  EXPECT_EQ(parse_where("variant=\"a\" b").value, "\"a\" b");
  EXPECT_EQ(parse_where("variant=\"").value, "\"");
  EXPECT_EQ(parse_where("variant=\"a\"b\"").value, "\"a\"b\"");
  EXPECT_EQ(parse_where("task.data_dir=\") OR 1=1 --").value, "\") OR 1=1 --");
}

// Through the store: each hostile label is selected exactly, and only it.
TEST(WhereQuoting, SelectsLabelsThatStartWithOperators) {
  const std::vector<std::string> labels = {"=x", "<5 epochs", ">1M params", "!residual", "\"q\""};
  TempDir dir;
  {
    std::vector<Job> jobs = tiny_jobs();
    size_t next = 0;
    std::map<std::string, std::string> renamed;
    for (auto& job : jobs) {
      if (job.variant == "baseline") continue;
      if (!renamed.count(job.variant) && next < labels.size()) renamed[job.variant] = labels[next++];
      if (renamed.count(job.variant)) job.variant = renamed[job.variant];
    }
    ASSERT_EQ(next, labels.size());
    ResultStore store(dir.file("w.db"), OpenMode::Writer);
    store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  }
  const ResultStore store(dir.file("w.db"), OpenMode::ReadOnly);
  for (const auto& label : labels) {
    std::string quoted = "\"";
    for (char c : label) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    ResultQuery q;
    q.sweep = "tiny";
    q.where.push_back(parse_where("variant=" + quoted + "\""));
    const auto rows = select_jobs(store, q);
    ASSERT_EQ(rows.size(), 3u) << label;  // its three seeds
    for (const auto& r : rows) EXPECT_EQ(r.variant, label);
  }
}

}  // namespace
}  // namespace ms::test
