// The results subcommands through the real binary: `metasweep status|results|report` on a database
// filled through the ResultStore API (results_fixture.h). Checks exit codes, every output format
// (parsed), --where filtering, an injection attempt that must match nothing and change nothing,
// and that bad input gives exit 2 with one clear line on stderr.
#include <algorithm>
#include <filesystem>
#include <future>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "results/store/schema.h"
#include "results/store/sqlite_db.h"
#include "sweeps/errors.h"
#include "sweeps/user_text.h"
#include "tests/results/csv_reader.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

size_t line_count(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

// One database for the whole suite: filling it is the slow part and every test only reads it.
class CliResults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    fill_tiny_db(db());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string db() { return dir_->file("results.db"); }

  // Runs `metasweep <args>`; each argument is shell-quoted.
  static CommandResult ms(const std::vector<std::string>& args) {
    std::string line = shell_quote(metasweep_bin());
    for (const auto& a : args) line += " " + shell_quote(a);
    return run_command(line);
  }
  // Runs several `metasweep` command lines at once: each one pays LibTorch's start-up (~0.4 s of
  // CPU), so the suite keeps the number of runs down and overlaps them where it can.
  static std::vector<CommandResult> ms_all(const std::vector<std::vector<std::string>>& commands) {
    std::vector<std::future<CommandResult>> running;
    for (const auto& args : commands) running.push_back(std::async(std::launch::async, [args] { return ms(args); }));
    std::vector<CommandResult> done;
    for (auto& r : running) done.push_back(r.get());
    return done;
  }
  static std::vector<std::string> results_args(std::vector<std::string> args) {
    args.insert(args.begin(), {"results", "--db", db()});
    return args;
  }
  static CommandResult results(std::vector<std::string> args) {
    args.insert(args.begin(), {"results", "--db", db()});
    return ms(args);
  }
  // Expects exit 2 and exactly one non-empty line on stderr; returns that line.
  static std::string usage_error(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(line_count(r.err), 1u) << r.err;
    EXPECT_GT(r.err.size(), 20u) << r.err;
    return r.err;
  }

  static TempDir* dir_;
};

TempDir* CliResults::dir_ = nullptr;

TEST_F(CliResults, JsonHasTheContractFields) {
  const CommandResult r = results({"--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto jobs = nlohmann::json::parse(r.out);
  ASSERT_TRUE(jobs.is_array());
  ASSERT_EQ(jobs.size(), 18u);
  for (const auto& job : jobs)
    for (const char* field : {"id", "sweep", "section", "variant", "seed", "status", "epochs_done", "params", "macs",
                              "test_acc", "test_loss", "train_loss", "wall_s", "samples_per_s", "config"})
      EXPECT_TRUE(job.contains(field)) << field << " missing in " << job.dump();
  EXPECT_EQ(jobs[0]["sweep"], "tiny");
  EXPECT_EQ(jobs[0]["variant"], "baseline");
  EXPECT_EQ(jobs[0]["status"], "done");
  EXPECT_EQ(jobs[0]["epochs_done"], 3);
  EXPECT_NEAR(jobs[0]["test_acc"].get<double>(), 0.80, 1e-12);
  EXPECT_TRUE(jobs[0]["config"].is_object());
  EXPECT_EQ(jobs[0]["config"]["task"]["epochs"], 3);
  std::set<std::string> statuses;
  for (const auto& job : jobs) statuses.insert(job["status"].get<std::string>());
  EXPECT_EQ(statuses, (std::set<std::string>{"done", "diverged", "failed", "running"}));
  for (const auto& job : jobs)
    if (job["test_acc"].is_number()) {
      EXPECT_GE(job["test_acc"].get<double>(), 0.0);
      EXPECT_LE(job["test_acc"].get<double>(), 1.0);
    }
}

TEST_F(CliResults, GroupByAddsMeanStdN) {
  const CommandResult r = results({"--group-by", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto groups = nlohmann::json::parse(r.out);
  ASSERT_EQ(groups.size(), 6u);
  EXPECT_EQ(groups[0]["variant"], "baseline");
  EXPECT_NEAR(groups[0]["mean"]["test_acc"].get<double>(), 0.82, 1e-12);
  EXPECT_NEAR(groups[0]["std"]["test_acc"].get<double>(), 0.02, 1e-12);
  EXPECT_EQ(groups[0]["n"]["test_acc"], 3);
  // Explicit keys: model.norm splits the sweep into group1 (4 variants x 3 seeds), layernorm, batchnorm.
  const CommandResult by_norm = results({"--group-by", "model.norm", "--format", "json"});
  ASSERT_EQ(by_norm.exit_code, 0) << by_norm.err;
  const auto norms = nlohmann::json::parse(by_norm.out);
  ASSERT_EQ(norms.size(), 3u) << norms.dump(1);
  for (const auto& g : norms) {
    EXPECT_TRUE(g.contains("mean")) << g.dump();
    EXPECT_TRUE(g.contains("std")) << g.dump();
    EXPECT_TRUE(g.contains("n")) << g.dump();
  }
}

TEST_F(CliResults, CsvParsesAndIsRectangular) {
  const CommandResult r = results({"--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = parse_csv(r.out);
  ASSERT_EQ(rows.size(), 19u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.size(), rows[0].size());
  }
  for (const char* col : {"id", "variant", "seed", "status", "test_acc", "model.norm"})
    EXPECT_NE(std::find(rows[0].begin(), rows[0].end(), col), rows[0].end()) << col;
  const CommandResult grouped = results({"--format", "csv", "--group-by"});
  ASSERT_EQ(grouped.exit_code, 0) << grouped.err;
  const auto g = parse_csv(grouped.out);
  ASSERT_EQ(g.size(), 7u);
  for (const auto& row : g) {
    EXPECT_EQ(row.size(), g[0].size());
  }
}

TEST_F(CliResults, LatexMarkdownAndTable) {
  const CommandResult tex = results({"--format", "latex", "--group-by", "--metric", "test_acc"});
  ASSERT_EQ(tex.exit_code, 0) << tex.err;
  for (const char* rule : {"\\toprule", "\\midrule", "\\bottomrule", "\\begin{tabular}"})
    EXPECT_NE(tex.out.find(rule), std::string::npos) << rule << "\n" << tex.out;

  const CommandResult md = results({"--format", "markdown"});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_EQ(line_count(md.out), 2u + 18u) << md.out;  // header, separator, one row per job
  EXPECT_EQ(md.out.rfind("| ", 0), 0u) << md.out;
  const size_t second = md.out.find('\n') + 1;
  EXPECT_EQ(md.out.find("|-", second) == second || md.out.find("| -", second) == second ||
                md.out.find("|:", second) == second || md.out.find("| :", second) == second,
            true)
      << md.out;

  const CommandResult table = results({});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::vector<std::string> lines;
  for (size_t at = 0; at < table.out.size();) {
    const size_t end = table.out.find('\n', at);
    lines.push_back(table.out.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_GE(lines.size(), 19u);
  // Aligned: the data lines all have the width of the header (trailing spaces trimmed or not).
  size_t widest = 0;
  for (const auto& l : lines) widest = std::max(widest, l.size());
  EXPECT_LE(lines[0].size(), widest);
  EXPECT_NE(table.out.find("baseline"), std::string::npos);
}

TEST_F(CliResults, WhereFilters) {
  const std::vector<CommandResult> got =
      ms_all({results_args({"--format", "json", "--where", "model.norm=layernorm"}),
              results_args({"--format", "json", "--where", "test_acc>0.85", "--where", "section=token mixer"}),
              results_args({"--format", "json", "--where", "status!=done"}),
              results_args({"--format", "csv", "--where", "seed<=1", "--where", "variant=baseline"})});
  const CommandResult& r = got[0];
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto jobs = nlohmann::json::parse(r.out);
  ASSERT_EQ(jobs.size(), 3u);
  for (const auto& j : jobs) {
    EXPECT_EQ(j["config"]["model"]["norm"], "layernorm");
  }

  // Two clauses are ANDed; a metric comparison excludes jobs without the metric.
  const CommandResult& both = got[1];
  ASSERT_EQ(both.exit_code, 0) << both.err;
  const auto hits = nlohmann::json::parse(both.out);
  ASSERT_EQ(hits.size(), 2u) << hits.dump(1);  // attention seeds 1 (0.86) and 2 (0.90)
  for (const auto& j : hits) {
    EXPECT_EQ(j["variant"], "model.mixers=attention");
    EXPECT_GT(j["test_acc"].get<double>(), 0.85);
  }

  const CommandResult& failed = got[2];
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  EXPECT_EQ(nlohmann::json::parse(failed.out).size(), 3u);  // diverged, failed, running

  const CommandResult& seed = got[3];
  ASSERT_EQ(seed.exit_code, 0) << seed.err;
  EXPECT_EQ(parse_csv(seed.out).size(), 3u);  // header + seeds 0, 1
}

// `status --job` takes an id or a unique prefix of one, as `train --job` and `forget --job` do.
TEST_F(CliResults, StatusJobListsOneJobsAttempts) {
  const std::vector<Job> jobs = tiny_jobs();
  const CommandResult r = ms({"status", "--db", db(), "--job", jobs[15].id.substr(0, 8)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("job " + jobs[15].id + " (seed 0)\n  sweep tiny: normalization / model.norm=batchnorm\n", 0),
            0u)
      << r.out;
  EXPECT_NE(r.out.find("  status: failed, 1 attempt(s), 1 failed (what --max-retries limits), 0/3 epochs\n"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(\n +1 +\S+ \S+ +\S+ +host-a +1 +- +failed +boom: out of memory\n)")))
      << r.out;
}

TEST_F(CliResults, WhereInjectionMatchesNothingAndChangesNothing) {
  const std::string before = read_file(db());
  ASSERT_FALSE(before.empty());
  const std::vector<std::string> attacks = {"variant=x' OR '1'='1", "variant=baseline'; DROP TABLE jobs; --",
                                            "task.data_dir=\") OR 1=1 --"};
  std::vector<std::vector<std::string>> commands;
  for (const auto& attack : attacks) commands.push_back(results_args({"--format", "json", "--where", attack}));
  const std::vector<CommandResult> got = ms_all(commands);
  for (size_t i = 0; i < attacks.size(); ++i) {
    EXPECT_EQ(got[i].exit_code, 0) << attacks[i] << ": " << got[i].err;
    EXPECT_EQ(nlohmann::json::parse(got[i].out).size(), 0u) << attacks[i] << ": " << got[i].out;
  }
  EXPECT_EQ(read_file(db()), before);
}

TEST_F(CliResults, BadInputIsOneLineAndExit2) {
  const std::string missing = dir_->file("missing.db"), out = dir_->file("r");
  const std::string text_file = dir_->write("not-a-database.txt", "plain text, not SQLite\n");
  // Each command, and a word its one-line message must name.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {results_args({"--format", "yaml"}), "table, csv, json, markdown, latex"},
      {results_args({"--where", "model.norm"}), "model.norm"},
      {results_args({"--where", "test_acc>high"}), "test_acc>high"},
      {results_args({"--where", "task.epochs<abc"}), "task.epochs compares with a finite number, got 'abc'"},
      {results_args({"--where", "task.optimizer.lr>1e999"}), "task.optimizer.lr compares with a finite number"},
      {results_args({"--where", "model.norm=lyernorm"}), "expected one of group1, layernorm"},
      {results_args({"--where", "model.residual=yes"}), "model.residual is true or false"},
      {results_args({"--frobnicate"}), "frobnicate"},
      {results_args({"--group-by", "no.such.key"}), "no.such.key"},
      {{"results"}, "--db"},
      {{"status"}, "--db"},
      {{"results", "--db", missing}, "missing.db"},
      {{"status", "--db", missing}, "missing.db"},
      {{"status", "--db", db(), "--job", "nope"}, "no job 'nope' in " + db()},
      {results_args({"--where", "test_acc>80"}),
       "test_acc is a fraction between 0 and 1 (as stored; reports show percent): for 80% write test_acc>0.8"},
      {{"stop", "--db", missing}, "missing.db: no such database"},
      {{"note", "--db", missing, "--sweep", "tiny", "a note"}, "missing.db: no such database"},
      {{"stop", "--db", text_file}, "is not a usable SQLite database"},  // exit 2, as every command
      {{"status", "--db", db(), "--sweep", "tiny", "--job", "0"}, "give at most one of --sweep NAME and --job ID"},
      {{"report", "--db", db(), "--sweep", "nope", "--out", out}, "nope"},
  };
  std::vector<std::vector<std::string>> commands;
  for (const auto& c : cases) commands.push_back(c.first);
  const std::vector<CommandResult> got = ms_all(commands);
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string line;
    for (const auto& a : cases[i].first) line += " " + a;
    SCOPED_TRACE("metasweep" + line);
    EXPECT_NE(usage_error(got[i]).find(cases[i].second), std::string::npos) << got[i].err;
  }
  EXPECT_FALSE(std::filesystem::exists(missing)) << "a command created the database it was to find";
  EXPECT_FALSE(std::filesystem::exists(missing + ".lock"));
}

// A database a newer metasweep wrote is bad input for every command, readers and writers alike:
// exit 2, one line naming --db and both versions, and the file not changed by a byte.
TEST_F(CliResults, ANewerSchemaIsExit2ForEveryCommand) {
  const std::string newer = dir_->file("newer.db"), out = dir_->file("newer-report");
  std::filesystem::copy_file(db(), newer);
  {
    Database handle(newer, Database::Access::ReadWrite);
    handle.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  }
  const std::string before = read_file(newer);
  const std::string sweep_file = dir_->write("newer.yaml", kTinySweep);
  const std::vector<std::vector<std::string>> commands = {
      {"results", "--db", newer},
      {"status", "--db", newer},
      {"note", "--db", newer, "--sweep", "tiny", "a note"},
      {"run", sweep_file, "--db", newer, "--device", "cpu"},
      {"report", "--db", newer, "--sweep", "tiny", "--out", out},
  };
  const std::vector<CommandResult> got = ms_all(commands);
  for (size_t i = 0; i < commands.size(); ++i) {
    SCOPED_TRACE(commands[i][0]);
    const std::string line = usage_error(got[i]);
    EXPECT_NE(line.find("--db " + newer + ": schema version " + std::to_string(kSchemaVersion + 1) + " is newer"),
              std::string::npos)
        << line;
  }
  EXPECT_EQ(read_file(newer), before);
}

// Text hygiene: every text argument is user text (sweeps/user_text.h). A note with a control
// character, invalid UTF-8 or no text, and a --sweep, --where or file argument with a control
// character, are refused with exit 2 and one clean line, the database untouched; a note may span
// lines and hold tabs, and `note` lists it indented, never raw.
TEST_F(CliResults, ControlCharactersAndBadUtf8AreRefusedAtTheDoor) {
  TempDir own;
  const std::string path = own.file("notes.db");
  fill_tiny_db(path);
  const std::string before = read_file(path);
  const std::vector<std::string> note = {"note", "--db", path, "--sweep", "tiny"};
  auto with = [](std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  const std::vector<std::vector<std::string>> refused = {
      with(note, {"bad\x01"
                  "ctrl"}),
      with(note, {"bad \xff byte"}),
      with(note, {"\x1b[31mred\x1b[0m"}),
      with(note, {"csi \xc2\x9b"
                  "31m"}),
      with(note, {""}),
      with(note, {" \n\t "}),
      with(note, {"--", "after the separator \x01 too"}),
      {"note", "--db", path, "--sweep", "ti\x01ny", "text"},
      {"status", "--db", path, "--sweep", "ti\x1bny"},
      results_args({"--where",
                    "model.norm=a\x01"
                    "b"}),
      results_args({"--where", "model.norm=\xff"}),
      results_args({"--sweep", "tiny\n"}),
      {"plan", "sweep\x07.yaml"},
  };
  const std::vector<CommandResult> got = ms_all(refused);
  for (size_t i = 0; i < refused.size(); ++i) {
    std::string line;
    for (const auto& a : refused[i]) line += " " + printable(a);
    SCOPED_TRACE("metasweep" + line);
    const std::string err = usage_error(got[i]);
    EXPECT_FALSE(text_problem(err.substr(0, err.size() - 1), "stderr")) << printable(err);
  }
  EXPECT_EQ(read_file(path), before) << "a refused note changed the database";

  // After "--" (where a text starting with '-' goes) a note is still free text: a Markdown list.
  const std::vector<CommandResult> ok = ms_all(
      {with(note, {"two lines:\n\tlr 1e-3 too high"}), with(note, {"--", "- first point\n- second point"})});
  ASSERT_EQ(ok[0].exit_code, 0) << ok[0].err;
  ASSERT_EQ(ok[1].exit_code, 0) << ok[1].err;
  const CommandResult listed = ms(note);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("  two lines:\n" + std::string(18, ' ') + " lr 1e-3 too high\n"), std::string::npos)
      << listed.out;
  EXPECT_NE(listed.out.find("  - first point\n" + std::string(18, ' ') + "- second point\n"), std::string::npos)
      << listed.out;
}

// A sweep name is one name in any Unicode encoding, as labels are: "café" typed with a
// precomposed é finds the sweep stored with "e" + a combining accent (and the other way round) in
// every command, and a second sweep whose name differs only so is refused (status showed two
// identical names; results said "no sweep 'café' (sweeps: café)").
TEST_F(CliResults, SweepNamesMatchInAnyUnicodeEncoding) {
  TempDir own;
  const std::string path = own.file("cafe.db"), composed = "caf\xc3\xa9", decomposed = "cafe\xcc\x81";
  std::string yaml = kTinySweep;
  yaml.replace(yaml.find("name: tiny"), 10, "name: " + composed);
  const SweepSpec spec = parse_sweep(yaml, "cafe.yaml", results_catalog());
  {
    ResultStore store(path, OpenMode::Writer);
    store.register_sweep(spec, yaml, tiny_jobs(), false);
  }
  {
    ResultStore store(path, OpenMode::Writer);
    EXPECT_EQ(store.sweep_named(decomposed), composed);
    EXPECT_EQ(store.sweep_named("tiny"), "tiny");  // unknown: as typed, for the message
    SweepSpec other = spec;
    other.name = decomposed;
    try {
      store.register_sweep(other, yaml, tiny_jobs(), false);
      ADD_FAILURE() << "a second sweep named as the first in another encoding was registered";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("is the sweep '" + composed + "' already in " + path), std::string::npos)
          << e.what();
    }
    EXPECT_EQ(store.sweeps(), std::vector<std::string>{composed});
  }
  const std::vector<CommandResult> got = ms_all({{"status", "--db", path, "--sweep", decomposed},
                                                 {"results", "--db", path, "--sweep", decomposed, "--format", "csv"},
                                                 {"note", "--db", path, "--sweep", decomposed}});
  for (const CommandResult& r : got) EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(got[0].out.find(composed), std::string::npos) << got[0].out;
  EXPECT_EQ(parse_csv(got[1].out).size(), 1u + tiny_jobs().size()) << got[1].out;
}

TEST_F(CliResults, HelpExitsZero) {
  const std::vector<std::string> commands = {"status", "results", "report", "run"};
  // `metasweep help run` is `metasweep run --help`.
  const std::vector<CommandResult> got =
      ms_all({{"status", "--help"}, {"results", "--help"}, {"report", "--help"}, {"help", "run"}});
  for (size_t i = 0; i < commands.size(); ++i) {
    const CommandResult& r = got[i];
    EXPECT_EQ(r.exit_code, 0) << commands[i] << ": " << r.err;
    EXPECT_NE(r.out.find("usage: metasweep " + commands[i]), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--db"), std::string::npos) << r.out;
    EXPECT_TRUE(r.err.empty()) << r.err;
  }
}

TEST_F(CliResults, StatusReportsProgress) {
  const CommandResult r = ms({"status", "--db", db()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tiny"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("boom: out of memory"), std::string::npos) << r.out;   // failures with their message
  EXPECT_NE(r.out.find("model.norm=batchnorm"), std::string::npos) << r.out;  // the running job
  for (const char* status : {"done", "running", "failed", "diverged"})
    EXPECT_NE(r.out.find(status), std::string::npos) << status << "\n" << r.out;
  EXPECT_EQ(r.out.rfind("sweep tiny: 18 jobs, 15 done, 1 running, 0 pending, 1 failed, 1 diverged\n", 0), 0u) << r.out;
  // 15 done and 1 diverged job count whole (48), the running one its epoch (1), the failed one
  // only the epochs it trained (none): a failed job is not progress.
  EXPECT_NE(r.out.find("49/54 epochs"), std::string::npos) << r.out;
}

TEST_F(CliResults, ReportWritesFilesAndPrintsTable) {
  const std::string out = dir_->file("report");
  const CommandResult r = ms({"report", "--db", db(), "--sweep", "tiny", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* file : {"report.md", "report.html", "table.tex"})
    EXPECT_TRUE(std::filesystem::exists(out + "/" + file)) << file;
  EXPECT_NE(r.out.find("| baseline"), std::string::npos) << r.out;
  EXPECT_NE(read_file(out + "/table.tex").find("\\toprule"), std::string::npos);
  const std::string html = read_file(out + "/report.html");
  EXPECT_NE(html.find("<table class=\"ablation\">"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  // The header says what the study cost, every attempt included (the running one's run is dead).
  const std::regex compute(
      R"(Compute: \d+s of rank time in 18 attempt\(s\): 15 done \(\d+s\), 1 diverged \(\d+s\), 1 running )"
      R"(\(\d+s\), 1 failed \(\d+s\)\.)");
  EXPECT_TRUE(std::regex_search(read_file(out + "/report.md"), compute)) << read_file(out + "/report.md");
  EXPECT_TRUE(std::regex_search(html, compute));
}

}  // namespace
}  // namespace ms::test
