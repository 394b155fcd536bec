// --where parsing, filters against the tiny sweep, grouping statistics checked by hand, and an
// injection attempt that must return nothing and change nothing.
#include "results/store/query.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "sweeps/errors.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

class TinyDb : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("r.db");
    jobs_ = fill_tiny_db(path_);
  }
  std::vector<JobRow> select(const std::vector<std::string>& where, const std::string& sweep = "tiny") {
    ResultStore store(path_, OpenMode::ReadOnly);
    ResultQuery q;
    q.sweep = sweep;
    for (const auto& w : where) q.where.push_back(parse_where(w));
    return select_jobs(store, q);
  }
  std::set<std::string> variants(const std::vector<JobRow>& rows) {
    std::set<std::string> out;
    for (const auto& r : rows) out.insert(r.variant);
    return out;
  }
  TempDir dir_;
  std::string path_;
  std::vector<Job> jobs_;
};

TEST(Where, ParsesEveryOperator) {
  EXPECT_EQ(parse_where("model.norm=layernorm").op, WhereOp::Eq);
  EXPECT_THROW(parse_where("model.norm==layernorm"), UsageError);  // once read as "=" (QA ux #5)
  EXPECT_EQ(parse_where("model.norm!=layernorm").op, WhereOp::Ne);
  EXPECT_EQ(parse_where("test_acc<0.5").op, WhereOp::Lt);
  EXPECT_EQ(parse_where("test_acc>0.5").op, WhereOp::Gt);
  EXPECT_EQ(parse_where("test_acc<=0.5").op, WhereOp::Le);
  const WhereClause c = parse_where(" task.optimizer.lr >= 1e-3 ");
  EXPECT_EQ(c.op, WhereOp::Ge);
  EXPECT_EQ(c.key, "task.optimizer.lr");
  ASSERT_TRUE(c.number);
  EXPECT_DOUBLE_EQ(*c.number, 0.001);
  EXPECT_EQ(parse_where("model.mixers=[pool, pool, attention, attention]").value,
            R"(["pool","pool","attention","attention"])");
  EXPECT_EQ(parse_where("section=token mixer").kind, WhereKeyKind::JobText);
}

TEST(Where, MalformedExpressionsAreUsageErrors) {
  for (const char* bad : {"model.norm", "=x", "model.norm=", "test_acc=>3", "model.norm!x", "a b=1", "test_acc>high",
                          "seed=zero", "nokey=1", "model..norm=1"}) {
    try {
      parse_where(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("'") + bad + "'"), std::string::npos) << what;
      EXPECT_NE(what.find("KEY=VALUE"), std::string::npos) << what;
    }
  }
}

TEST_F(TinyDb, FiltersOnConfigKeys) {
  EXPECT_EQ(select({"model.norm=layernorm"}).size(), 3u);
  EXPECT_EQ(select({"model.norm!=group1"}).size(), 6u);
  // A single value matches per-stage lists whose stages all equal it.
  EXPECT_EQ(variants(select({"model.mixers=pool"})),
            (std::set<std::string>{"baseline", "model.norm=layernorm", "model.norm=batchnorm"}));
  EXPECT_EQ(variants(select({"model.mixers=[pool,pool,attention,attention]"})), std::set<std::string>{"[P,P,A,A]"});
  EXPECT_EQ(variants(select({"model.mixers=attention"})), std::set<std::string>{"model.mixers=attention"});
  EXPECT_EQ(select({"task.optimizer.lr=0.001"}).size(), 18u);
  EXPECT_EQ(select({"task.optimizer.lr>0.001"}).size(), 0u);
  EXPECT_EQ(select({"model.pool_size<=3", "model.norm=batchnorm"}).size(), 3u);
}

TEST_F(TinyDb, FiltersOnJobFieldsAndMetrics) {
  EXPECT_EQ(select({"section=token mixer"}).size(), 6u);
  EXPECT_EQ(select({"status=diverged"}).size(), 1u);
  EXPECT_EQ(select({"status!=done"}).size(), 3u);
  EXPECT_EQ(select({"seed=1"}).size(), 6u);
  const auto high = select({"test_acc>=0.86", "status=done"});
  std::multiset<double> accs;
  for (const auto& r : high) accs.insert(std::round(*r.test_acc * 100) / 100);
  EXPECT_EQ(accs, (std::multiset<double>{0.86, 0.86, 0.87, 0.88, 0.90}));
  EXPECT_EQ(select({"id=" + jobs_[4].id}).size(), 1u);
  EXPECT_EQ(select({"params>3500000"}).size(), 9u);  // variants 4, 5, 6 x 3 seeds
}

TEST_F(TinyDb, UnknownSweepAndKeyAreUsageErrors) {
  EXPECT_THROW(select({}, "nope"), UsageError);
  try {
    select({"model.nrom=layernorm"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("model.norm"), std::string::npos) << e.what();
  }
}

TEST_F(TinyDb, InjectionReturnsNothingAndChangesNothing) {
  const std::string before = read_file(path_);
  // Config values through a free-text key (an enumeration's value is checked against its names).
  for (const char* attack : {"task.data_dir=x' OR '1'='1", "task.data_dir=layernorm'; DROP TABLE jobs; --",
                             "section=baseline\" OR 1=1 --", "variant=') OR 1=1 --"}) {
    EXPECT_TRUE(select({attack}).empty()) << attack;
  }
  EXPECT_EQ(read_file(path_), before);
  ResultStore store(path_, OpenMode::ReadOnly);
  Statement s(store.db(), "SELECT COUNT(*) FROM jobs");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_int64(0), 18);
}

TEST_F(TinyDb, GroupsBySectionAndVariantInFileOrder) {
  const auto rows = select({});
  const auto groups = group_jobs(rows, {"section", "variant"});
  ASSERT_EQ(groups.size(), 6u);
  const std::vector<std::string> order = {"baseline",  "model.mixers=identity", "model.mixers=attention",
                                          "[P,P,A,A]", "model.norm=layernorm",  "model.norm=batchnorm"};
  for (size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(groups[i].values[1], order[i]);
  }
  // baseline: 0.80, 0.82, 0.84 -> mean 0.82, sample std 0.02.
  const Summary& base = groups[0].metrics.at("test_acc");
  EXPECT_EQ(base.n, 3);
  EXPECT_NEAR(base.mean, 0.82, 1e-12);
  EXPECT_NEAR(base.std, 0.02, 1e-12);
  EXPECT_NEAR(base.min, 0.80, 1e-12);
  EXPECT_NEAR(base.max, 0.84, 1e-12);
  // identity: 0.70, 0.71, 0.75 -> mean 0.72, std sqrt(((-.02)^2 + (-.01)^2 + .03^2) / 2) = sqrt(0.0007).
  EXPECT_NEAR(groups[1].metrics.at("test_acc").mean, 0.72, 1e-12);
  EXPECT_NEAR(groups[1].metrics.at("test_acc").std, std::sqrt(0.0007), 1e-12);
  // layernorm: seed 2 diverged, so n = 2 over 0.81, 0.83 and the status says so.
  const GroupRow& ln = groups[4];
  EXPECT_EQ(ln.metrics.at("test_acc").n, 2);
  EXPECT_NEAR(ln.metrics.at("test_acc").mean, 0.82, 1e-12);
  EXPECT_EQ(ln.status_text(), "2 done, 1 diverged");
  EXPECT_TRUE(ln.has(JobStatus::Diverged));
  // batchnorm: one done, one failed, one running: std undefined.
  const GroupRow& bn = groups[5];
  EXPECT_EQ(bn.metrics.at("test_acc").n, 1);
  EXPECT_TRUE(std::isnan(bn.metrics.at("test_acc").std));
  EXPECT_EQ(bn.status_text(), "1 done, 1 failed, 1 running");
  EXPECT_EQ(bn.metrics.at("params").n, 3);
  // samples_per_s is the mean over epochs: 1000 + 10 * seed.
  EXPECT_NEAR(groups[0].metrics.at("samples_per_s").mean, 1010.0, 1e-9);
}

TEST_F(TinyDb, GroupsByConfigKey) {
  ResultStore store(path_, OpenMode::ReadOnly);
  const auto keys = parse_group_keys("model.norm", known_config_keys(store));
  const auto groups = group_jobs(select({}), keys);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].values[0], "group1");
  EXPECT_EQ(groups[0].jobs.size(), 12u);
  EXPECT_EQ(groups[0].metrics.at("test_acc").n, 12);
  EXPECT_THROW(parse_group_keys("model.nrom", known_config_keys(store)), UsageError);
  // A group of keys is named as one, not as a misspelling of itself.
  const std::string group = one_line_error([&] { parse_group_keys("model.stem", known_config_keys(store)); });
  EXPECT_NE(group.find("'model.stem' is a group of keys: name one of them (model.stem.kernel, model.stem.stride, "
                       "model.stem.padding)"),
            std::string::npos)
      << group;
  const auto config = groups[1].common_config();
  EXPECT_EQ(config["model"]["norm"], "layernorm");
}

}  // namespace
}  // namespace ms::test

namespace ms::test {
namespace {

// Section, variant and sweep names are one name in any Unicode encoding (as the sweep file counts
// them): a label written decomposed (a file from macOS) is found by --where typed precomposed, and
// the other way round; a different name is still not.
TEST(Where, NamesMatchInAnyUnicodeEncoding) {
  const std::string e_acute_nfd = "e\xCC\x81", e_acute_nfc = "\xC3\xA9";
  const std::string text = "name: s\nbase:\n  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}\n"
                           "  model: {depths: [1, 1], dims: [8, 16]}\nseeds: [0]\nablations:\n  mod" +
                           e_acute_nfd + "le:\n    - {label: caf" + e_acute_nfd + ", model.mixers: identity}\n";
  TempDir dir;
  const SweepSpec spec = parse_sweep(text, "s.yaml", results_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  {
    ResultStore writer(dir.file("u.db"), OpenMode::Writer);
    writer.register_sweep(spec, text, jobs, false);
  }
  ResultStore store(dir.file("u.db"), OpenMode::ReadOnly);
  const auto count = [&](const std::string& where) {
    ResultQuery q;
    q.where.push_back(parse_where(where));
    return select_jobs(store, q).size();
  };
  EXPECT_EQ(count("variant=caf" + e_acute_nfc), 1u);
  EXPECT_EQ(count("variant=caf" + e_acute_nfd), 1u);
  EXPECT_EQ(count("section=mod" + e_acute_nfc + "le"), 1u);
  EXPECT_EQ(count("variant!=caf" + e_acute_nfc), 1u);  // the baseline
  EXPECT_EQ(count("variant=cafe"), 0u);
  EXPECT_EQ(count("sweep=s"), 2u);
}

}  // namespace
}  // namespace ms::test
