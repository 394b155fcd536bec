// Hostile command lines through the real binary (DESIGN.md §3): unknown subcommands and flags,
// wrong flag types, negative/huge/non-finite values, missing and malformed sweep files, malformed
// --where expressions, unknown --format/--device/--cuda-graphs values. Each must give exactly one line on stderr,
// exit status 2, and leave the database untouched: a missing one is not created (nor its lock
// file or checkpoint folder), an existing one keeps its exact bytes.
#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

namespace fs = std::filesystem;

struct BadLine {
  std::vector<std::string> args;  // after `metasweep`; {SWEEP}, {DB}, {OLD} and {DIR} are substituted
  std::string needle;             // the line must mention this
};

// A small valid sweep; the bad ones below differ from it in one value.
const char* kGoodSweep = R"(name: good
base:
  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16]}
seeds: [0]
)";

std::string with(const std::string& from, const std::string& to) {
  std::string text = kGoodSweep;
  text.replace(text.find(from), from.size(), to);
  return text;
}

class CliBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    sweep_ = dir_.write("good.yaml", kGoodSweep);
    old_db_ = dir_.file("old.db");
    fill_tiny_db(old_db_);
    fs::remove(old_db_ + ".lock");  // left by the writer that filled it
    old_bytes_ = read_file(old_db_);
    ASSERT_FALSE(old_bytes_.empty());
  }

  std::string substitute(std::string arg) const {
    const std::pair<const char*, std::string> keys[] = {
        {"{SWEEP}", sweep_}, {"{DB}", dir_.file("new.db")}, {"{OLD}", old_db_}, {"{DIR}", dir_.path()}};
    for (const auto& [key, value] : keys)
      for (size_t at; (at = arg.find(key)) != std::string::npos;) arg.replace(at, std::string(key).size(), value);
    return arg;
  }

  // Runs the line, checks exit 2, one stderr line mentioning `needle`, and an untouched database.
  void expect_rejected(const BadLine& bad) {
    std::string line = shell_quote(metasweep_bin());
    std::string shown = "metasweep";
    for (const auto& a : bad.args) {
      line += " " + shell_quote(substitute(a));
      shown += " " + a;
    }
    const CommandResult r = run_command(line + " < /dev/null");
    SCOPED_TRACE(shown);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(r.err.empty() || r.err.front() == '\n') << r.err;
    EXPECT_NE(r.err.find(substitute(bad.needle)), std::string::npos) << "expected '" << bad.needle << "' in: " << r.err;
    EXPECT_EQ(r.err.find("except line breaks"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    for (const char* suffix : {"", ".lock", ".checkpoints", "-wal", "-journal"})
      EXPECT_FALSE(fs::exists(dir_.file("new.db") + suffix)) << "created new.db" << suffix;
    for (const char* suffix : {".lock", ".checkpoints", "-wal"})
      EXPECT_FALSE(fs::exists(old_db_ + suffix)) << "created old.db" << suffix;
    EXPECT_TRUE(read_file(old_db_) == old_bytes_) << "old.db changed";
  }

  TempDir dir_;
  std::string sweep_, old_db_, old_bytes_;
};

TEST_F(CliBadInput, UnknownCommandsAndFlags) {
  const std::vector<BadLine> cases = {
      {{}, "missing command: expected one of plan, run"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"--frobnicate"}, "unknown command '--frobnicate'"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--frobnicate"}, "frobnicate"},
      {{"run", "{SWEEP}", "--db", "{OLD}", "-x"}, "-x"},
      {{"run", "{SWEEP}", "{SWEEP}", "--db", "{DB}"}, "too many arguments"},
      {{"run", "{SWEEP}"}, "--db"},
      {{"run", "--db", "{DB}"}, "missing argument: usage: metasweep run SWEEP.yaml"},
      {{"plan"}, "missing argument: usage: metasweep plan SWEEP.yaml"},
      {{"note", "--db", "{OLD}", "--sweep", "s", "two", "words"}, "quote a text with spaces"},
      {{"plan", "{SWEEP}", "--db", "{DB}"}, "db"},
      {{"results", "--db", "{OLD}", "--nope"}, "nope"},
      {{"results", "--db", "{OLD}", "--where", "model.stem=x"},
       "'model.stem' is a group of keys: compare one of them (model.stem.kernel, model.stem.stride, "
       "model.stem.padding)"},
      {{"results", "--db", "{OLD}", "--where", "task.optimizer=adam"}, "'task.optimizer' is a group of keys"},
      {{"status"}, "--db"},
      {{"train", "{SWEEP}", "--bogus", "1"}, "bogus"},
  };
  for (const auto& c : cases) expect_rejected(c);
}

TEST_F(CliBadInput, WrongTypesAndOutOfRangeValues) {
  const std::vector<BadLine> cases = {
      {{"run", "{SWEEP}", "--db", "{DB}", "--ranks-per-job", "abc"}, "ranks-per-job"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--ranks-per-job", "2.5"}, "ranks-per-job"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--ranks-per-job", "0"}, "--ranks-per-job"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--ranks-per-job", "-3"}, "--ranks-per-job"},
      // More than one rank per job needs mpirun: without it the flag would be ignored.
      {{"run", "{SWEEP}", "--db", "{DB}", "--ranks-per-job", "2"}, "start the run under mpirun with at least 3 ranks"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--ranks-per-job", "99999999999999999999"}, "ranks-per-job"},
      {{"run", "{SWEEP}", "--db", "{OLD}", "--max-retries", "-1"}, "--max-retries"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--max-retries", "many"}, "max-retries"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--job-timeout", "-5"}, "--job-timeout"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--job-timeout", "soon"}, "job-timeout"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--job-timeout", "nan"}, "--job-timeout"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--job-timeout", "1e999"}, "job-timeout"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--hang-timeout", "-1"}, "--hang-timeout must be a finite"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--hang-timeout", "inf"}, "--hang-timeout must be a finite"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--hang-timeout", "later"}, "hang-timeout"},
      {{"train", "{SWEEP}", "--variant", "baseline", "--hang-timeout", "nan"}, "--hang-timeout must be"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--device", "tpu"}, "expected one of auto, cpu, cuda"},
      {{"run", "{SWEEP}", "--db", "{OLD}", "--device", ""}, "--device"},
      {{"plan", "{SWEEP}", "--format", "yaml"}, "--format 'yaml'"},
      {{"results", "--db", "{OLD}", "--format", "xml"}, "--format 'xml'"},
      {{"train", "{SWEEP}", "--variant", "baseline", "--seed", "abc"}, "seed"},
      {{"train", "{SWEEP}", "--variant", "baseline", "--device", "gpu0"}, "--device"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--cuda-graphs", "maybe"},
       "--cuda-graphs 'maybe': expected one of auto, on, off"},
      {{"run", "{SWEEP}", "--db", "{OLD}", "--cuda-graphs", ""}, "--cuda-graphs"},
      {{"train", "{SWEEP}", "--variant", "baseline", "--cuda-graphs", "ON"}, "--cuda-graphs 'ON'"},
      // From a CLI audit: each of these gave exit 1, no bound, or an empty path taken silently.
      {{"train", "{SWEEP}", "--variant", "baseline", "--threads", "100000"}, "--threads must be between 0 and"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--threads", "-1"}, "--threads must be between 0 and"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--threads", "two"},
       "the argument ('two') for option '--threads' is invalid"},
      {{"report", "--db", "{OLD}", "--sweep", "tiny", "--out", "{DIR}/r", "--watch", "1e10"},
       "--watch must be a number of seconds between 1 and 86400"},
      {{"status", "--db", "{DIR}"}, "is a directory, not a database file"},
      {{"run", "{SWEEP}", "--db", "{DIR}/no/such/folder/x.db"}, "the folder {DIR}/no/such/folder does not exist"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--checkpoint-dir", ""}, "--checkpoint-dir: the path is empty"},
      {{"run", "{SWEEP}", "--db", "{DB}", "--checkpoint-dir",
        "a\x01"
        "b"},
       "control character (U+0001; U+0000-U+001F"},
  };
  for (const auto& c : cases) expect_rejected(c);
}

TEST_F(CliBadInput, MissingAndMalformedSweepFiles) {
  const std::string dir = dir_.path();
  const std::vector<std::pair<std::string, std::string>> files = {
      {"huge_epochs.yaml", with("epochs: 1", "epochs: 1e99")},
      {"negative_epochs.yaml", with("epochs: 1", "epochs: -2")},
      {"negative_batch.yaml", with("batch_size: 16", "batch_size: -16")},
      {"negative_dims.yaml", with("dims: [8, 16]", "dims: [-8, 16]")},
      {"negative_depth.yaml", with("depths: [1, 1]", "depths: [1, -1]")},
      {"huge_dims.yaml", with("dims: [8, 16]", "dims: [8, 1e12]")},
      {"negative_lr.yaml", with("batch_size: 16", "batch_size: 16, optimizer: {lr: -1}")},
      {"fractional_seed.yaml", with("seeds: [0]", "seeds: [0.5]")},
      {"not_yaml.yaml", "\x01\x02\xff\xfe{{{"},
      {"empty.yaml", ""},
  };
  bool first = true;
  for (const auto& [name, text] : files) {
    dir_.write(name, text);
    expect_rejected({{"plan", "{DIR}/" + name}, name});
    expect_rejected({{"run", "{DIR}/" + name, "--db", first ? "{OLD}" : "{DB}"}, name});
    first = false;
  }
  expect_rejected({{"run", "{DIR}/no_such.yaml", "--db", "{DB}"}, "no_such.yaml"});
  expect_rejected({{"plan", "{DIR}/no_such.yaml"}, "no_such.yaml"});
  expect_rejected({{"train", "{DIR}/no_such.yaml", "--variant", "baseline"}, "no_such.yaml"});
  expect_rejected({{"run", "{DIR}", "--db", "{DB}"}, dir});  // a folder, not a file
  expect_rejected({{"plan", "{DIR}"}, "is a folder, not a sweep file"});
}

TEST_F(CliBadInput, MalformedWhereExpressions) {
  const std::vector<std::string> exprs = {
      "",
      "=",
      "==",
      "model.norm",
      "=layernorm",
      "!=x",
      "model.norm!x",
      "model.norm<>x",
      "model.norm=<x",
      "model.norm=",
      "a..b=1",
      ".model=1",
      "model.=1",
      "model norm=1",
      "model.norm;drop table jobs=1",
      "test_acc>high",
      "test_acc>nan",
      "test_acc<inf",
      "seed=zero",
      "params>=1e999",
      "frobnicate=1",
      "model.mixers=[pool, \xff]",
      "model.norm=\xc3",
      "\xff=1",
  };
  for (const auto& e : exprs) expect_rejected({{"results", "--db", "{OLD}", "--where", e}, "--where"});
  expect_rejected({{"results", "--db", "{OLD}", "--where", "model.norm=none", "--where", "bad"}, "'bad'"});
  expect_rejected({{"results", "--db", "{OLD}", "--where"}, "where"});
}

// Issue 13.4: databases that keep nothing are refused before anything runs or is created.
TEST_F(CliBadInput, InMemoryEmptyAndUriDatabasesAreRefused) {
  const std::string uri = "file:" + dir_.file("x.db") + "?mode=memory";
  for (const std::string& db : {std::string(":memory:"), std::string(""), uri}) {
    expect_rejected({{"run", "{SWEEP}", "--db", db}, "--db"});
    expect_rejected({{"train", "{SWEEP}", "--variant", "baseline", "--db", db}, "--db"});
    expect_rejected({{"status", "--db", db}, "--db"});
  }
  EXPECT_FALSE(fs::exists(":memory:.lock"));
  EXPECT_FALSE(fs::exists(":memory:.checkpoints"));
  EXPECT_FALSE(fs::exists(".checkpoints"));
  for (const auto& entry : fs::directory_iterator(dir_.path()))
    EXPECT_TRUE(entry.path().filename() == "good.yaml" || entry.path().filename().string().rfind("old.db", 0) == 0)
        << "created " << entry.path();
}

// Issue 13.5: `run` on a SQLite file of another program: refused before the first write, the
// file byte-identical (same checksum), no -wal, no checkpoint folder.
TEST_F(CliBadInput, ForeignSqliteFileIsLeftByteIdentical) {
  const std::string foreign = dir_.file("foreign.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE jobs(x); CREATE TABLE foo(y); INSERT INTO foo VALUES ('mine');", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string before = read_file(foreign);
  const CommandResult sum_before = run_command("cksum " + shell_quote(foreign));
  expect_rejected({{"run", "{SWEEP}", "--db", foreign}, "not a metasweep results database"});
  expect_rejected({{"train", "{SWEEP}", "--variant", "baseline", "--db", foreign}, "not a metasweep results database"});
  const CommandResult sum_after = run_command("cksum " + shell_quote(foreign));
  EXPECT_EQ(sum_before.out.substr(0, sum_before.out.find(' ', sum_before.out.find(' ') + 1)),
            sum_after.out.substr(0, sum_after.out.find(' ', sum_after.out.find(' ') + 1)));
  EXPECT_TRUE(read_file(foreign) == before);
  for (const char* suffix : {"-wal", "-shm", "-journal", ".checkpoints", ".lock"})
    EXPECT_FALSE(fs::exists(foreign + suffix)) << suffix;
}

// Issues 13.1, 13.3, 13.7 at plan time: hostile names, duplicate labels, empty sections and a sweep
// too large to expand are one line, exit 2, with FILE:LINE:COL where there is a line.
TEST_F(CliBadInput, NamesAndSizesAreCheckedAtPlanTime) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"newline_label.yaml",
       std::string(kGoodSweep) +
           "ablations:\n  s:\n    - {label: \"x'\\nsystem \\\"touch /tmp/PWNED\\\"\\n#\", model.pool_size: 5}\n"},
      {"control_section.yaml", std::string(kGoodSweep) + "ablations:\n  \"a\\x1bb\":\n    model.pool_size: [5]\n"},
      {"bad_utf8.yaml", std::string(kGoodSweep) + "ablations:\n  caf\xc3:\n    model.pool_size: [5]\n"},
      {"duplicate_label.yaml", std::string(kGoodSweep) +
                                   "ablations:\n  s:\n    - {label: same, task.optimizer.lr: 0.002}\n"
                                   "    - {label: same, task.optimizer.lr: 0.2}\n"},
      {"empty_section.yaml", std::string(kGoodSweep) + "ablations:\n  empty: []\n"},
      {"baseline_label.yaml",
       std::string(kGoodSweep) + "ablations:\n  s:\n    - {label: \"baseline \", model.pool_size: 5}\n"},
  };
  for (const auto& [name, text] : files) {
    dir_.write(name, text);
    expect_rejected({{"plan", "{DIR}/" + name}, name + ":"});
  }
  expect_rejected({{"run", "{DIR}/newline_label.yaml", "--db", "{DB}"}, "newline_label.yaml:"});
  std::string values;
  for (int i = 0; i < 1000; ++i) values += (i ? ", " : "") + std::to_string(i);
  dir_.write("huge_grid.yaml", std::string(kGoodSweep) + "grid:\n  task.optimizer.lr: [" + values +
                                   "]\n  task.optimizer.weight_decay: [" + values + "]\n");
  expect_rejected({{"plan", "{DIR}/huge_grid.yaml"}, "1000000 jobs"});
  expect_rejected({{"run", "{DIR}/huge_grid.yaml", "--db", "{DB}"}, "--max-jobs"});
  expect_rejected({{"plan", "{SWEEP}", "--max-jobs", "0"}, "--max-jobs"});
}

}  // namespace
}  // namespace ms::test
