// The live progress line and the end-of-run summary: diverged and failed counted apart from done;
// the best variant is the best mean over finished seeds, not one lucky seed; a 60-column terminal
// gets lines that never wrap; piped output has a timestamp on every line and never repeats a line;
// `run -v` epoch lines name their job; the summary names the best variants and the next commands.
// The clock and the timestamps are injected: nothing here depends on how fast the machine is.
#include "orchestrator/progress.h"

#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <filesystem>
#include <regex>
#include <sstream>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sys/ioctl.h>

#include "orchestrator/coordinator.h"
#include "orchestrator/run_summary.h"
#include "results/store/store.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/user_text.h"
#include "tests/orchestrator/scripted_group.h"
#include "tests/test_support.h"
#include "worker/models/model_cost.h"

namespace ms {
namespace {

size_t columns_of(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// What a terminal shows: the text between carriage returns / newlines, the clear-line code removed.
std::vector<std::string> screen_lines(const std::string& raw) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw.compare(i, 3, "\033[K") == 0) {
      i += 2;
    } else if (raw[i] == '\r' || raw[i] == '\n') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += raw[i];
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

struct FakeClock {
  double now = 1000;
  ProgressOptions options(std::ostream* out, bool tty, int width) {
    ProgressOptions o;
    o.tty = tty;
    o.width = width;
    o.out = out;
    o.clock = [this] { return now; };
    o.timestamp = [this] { return "T+" + std::to_string(static_cast<int>(now - 1000)); };
    return o;
  }
};

TEST(Progress, DivergedAndFailedAreCountedApartFromDone) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(4, 4.0, clock.options(&out, false, 0));
  for (const char* id : {"a", "b", "c"}) p.job_started(id, 1.0, "sec / v", 2);
  p.epoch_done("a", 2, 0.8);
  p.job_ended("a", JobStatus::Done);
  p.job_ended("b", JobStatus::Diverged);
  p.job_ended("c", JobStatus::Failed);
  const std::string line = p.line(0);
  EXPECT_NE(line.find("jobs 3/4: 1 done, 1 diverged, 1 failed, 0 running"), std::string::npos) << line;
}

TEST(Progress, BestIsTheBestMeanOverFinishedSeeds) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(5, 5.0, clock.options(&out, false, 0));
  // "lucky": one seed at 0.90 and one at 0.50 (mean 0.70); "steady": 0.80 and 0.80 (mean 0.80).
  const std::vector<std::tuple<std::string, std::string, double>> jobs = {
      {"l0", "s / lucky", 0.90}, {"l1", "s / lucky", 0.50}, {"s0", "s / steady", 0.80}, {"s1", "s / steady", 0.80}};
  for (const auto& [id, group, acc] : jobs) {
    p.job_started(id, 1.0, group, 1);
    p.epoch_done(id, 1, acc);
  }
  EXPECT_EQ(p.line(0).find("best"), std::string::npos) << "nothing finished yet";
  for (const auto& [id, group, acc] : jobs) p.job_ended(id, JobStatus::Done);
  EXPECT_NE(p.line(0).find("best s / steady 0.8000 (2 seeds)"), std::string::npos) << p.line(0);
  // A diverged job's last accuracy does not count, and earlier runs' results do.
  p.job_started("x", 1.0, "s / lucky", 1);
  p.epoch_done("x", 1, 0.99);
  p.job_ended("x", JobStatus::Diverged);
  p.add_finished("s / old", JobStatus::Done, 0.85);
  EXPECT_NE(p.line(0).find("best s / old 0.8500 (1 seed)"), std::string::npos) << p.line(0);
  EXPECT_NE(p.line(0).find("6/5"), std::string::npos) << "add_finished counts the earlier job: " << p.line(0);
}

TEST(Progress, SixtyColumnTerminalNeverWraps) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(120, 120.0, clock.options(&out, true, 60));
  const std::string long_label = "hybrid stages / [Pool,Pool,Attention,Attention] with a long label ÄÖÜ";
  for (int j = 0; j < 12; ++j) {
    const std::string id = "job" + std::to_string(j);
    p.job_started(id, 10.0, j % 2 ? long_label : "baseline / baseline", 3);
    for (int e = 1; e <= 3; ++e) {
      clock.now += 3700;  // hours: the longest clock spellings
      p.epoch_done(id, e, 0.5 + 0.01 * j);
      p.maybe_print();
    }
    p.job_ended(id, j % 5 == 4 ? JobStatus::Diverged : j % 7 == 6 ? JobStatus::Failed : JobStatus::Done);
    p.message("job " + id + " note");
    p.maybe_print();
  }
  p.finish();
  const auto shown = screen_lines(out.str());
  ASSERT_GT(shown.size(), 20u);
  for (const auto& line : shown) {
    EXPECT_LE(columns_of(line), 59u) << line;
    if (line.rfind("job job", 0) != 0) {  // progress lines keep the counts, diverged apart
      EXPECT_TRUE(std::regex_search(line, std::regex("^(jobs )?[0-9]+/120"))) << line;
    }
  }
  EXPECT_NE(shown.back().find("div"), std::string::npos) << shown.back();
  // Wider terminals: the best variant with its label shortened to fit, then whole.
  const std::string medium = p.line(100);
  EXPECT_LE(columns_of(medium), 100u);
  EXPECT_NE(medium.find("best hybrid stages"), std::string::npos) << medium;
  EXPECT_NE(medium.find("…"), std::string::npos) << medium;
  EXPECT_NE(p.line(200).find(long_label), std::string::npos);
  EXPECT_LE(columns_of(p.line(20)), 20u);
}

// A label in CJK (2 columns a character) or with emoji: the line still fits the terminal, counted
// in the columns the terminal gives them, not in characters.
TEST(Progress, WideCharactersCountTwoColumns) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(4, 4.0, clock.options(&out, true, 60));
  const std::string label = "トークンミキサー / 注意機構とプーリングの混合 🙂🙂";
  p.job_started("a", 1.0, label, 1);
  clock.now += 10;
  p.epoch_done("a", 1, 0.9);
  p.job_ended("a", JobStatus::Done);
  for (int width : {40, 50, 60, 80}) {
    const std::string line = p.line(width);
    EXPECT_LE(terminal_columns(line), static_cast<size_t>(width)) << line;
    if (width >= 60) {
      EXPECT_GT(terminal_columns(line), columns_of(line)) << "the label is shown, cut: " << line;
    }
  }
  EXPECT_NE(p.line(200).find(label), std::string::npos);
}

TEST(Progress, PipedLinesAreTimestampedAndNeverRepeat) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(10, 10.0, clock.options(&out, false, 0));
  p.message("sweep demo: 10 jobs");
  for (int j = 0; j < 10; ++j) {  // 10 jobs x 3 epochs, polled often as the coordinator does
    const std::string id = "j" + std::to_string(j);
    p.job_started(id, 1.0, "sec / v" + std::to_string(j % 3), 3);
    p.maybe_print();
    for (int e = 1; e <= 3; ++e) {
      clock.now += 1;
      for (int poll = 0; poll < 3; ++poll) p.maybe_print();
      p.epoch_done(id, e, 0.5);
      p.maybe_print();
    }
    p.job_ended(id, JobStatus::Done);
    p.maybe_print();
  }
  p.finish();
  const auto lines = lines_of(out.str());
  ASSERT_GE(lines.size(), 10u);
  EXPECT_LE(lines.size(), 1u + 2 * 10 + 1);  // a header, a start and an end per job, at most a final line
  std::string previous;
  for (const auto& line : lines) {
    EXPECT_TRUE(std::regex_search(line, std::regex("^T\\+[0-9]+  "))) << line;
    const std::string content = line.substr(line.find("  ") + 2);
    EXPECT_NE(content.substr(0, content.find(" | ")), previous.substr(0, previous.find(" | "))) << line;
    previous = content;
  }
  EXPECT_NE(lines.back().find("jobs 10/10: 10 done, 0 running"), std::string::npos) << lines.back();
  EXPECT_TRUE(std::regex_match(local_timestamp(), std::regex("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")));
}

// A log of a long job (epochs of 100 s): a line after each epoch with the ETA it moved, though
// the counts stay the same; polls between epochs add nothing.
TEST(Progress, PipedLogsShowALongJobsEpochsOnceAMinute) {
  std::ostringstream out;
  FakeClock clock;
  Progress p(1, 1.0, clock.options(&out, false, 0));
  p.job_started("j", 1.0, "sec / v", 4);
  p.maybe_print();
  for (int e = 1; e <= 3; ++e) {
    for (int poll = 0; poll < 10; ++poll) {
      clock.now += 10;
      p.maybe_print();
    }
    p.epoch_done("j", e, 0.5);
    p.maybe_print();
    p.maybe_print();
  }
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 4u) << out.str();  // the start, then one per epoch
  EXPECT_NE(lines[1].find("jobs 0/1: 0 done, 1 running | 1m 40s, ETA 5m"), std::string::npos) << lines[1];
  EXPECT_NE(lines[3].find("jobs 0/1: 0 done, 1 running | 5m 00s, ETA 1m 40s"), std::string::npos) << lines[3];
}

TEST(Progress, TerminalColumnsFromColumnsOrTheTty) {
  const char* saved = std::getenv("COLUMNS");
  const std::string keep = saved ? saved : "";
  unsetenv("COLUMNS");
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0) {
    const int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
    ASSERT_GE(tty, 0);
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = 60;
    ASSERT_EQ(ioctl(tty, TIOCSWINSZ, &ws), 0);
    EXPECT_EQ(terminal_columns(tty), 60);
    setenv("COLUMNS", "132", 1);
    EXPECT_EQ(terminal_columns(tty), 132);  // the user's COLUMNS wins
    close(tty);
  }
  if (master >= 0) close(master);
  setenv("COLUMNS", "72", 1);
  EXPECT_EQ(terminal_columns(-1), 72);
  setenv("COLUMNS", "wide", 1);
  const int devnull = open("/dev/null", O_RDONLY);
  EXPECT_EQ(terminal_columns(devnull), 0);  // not a number, not a terminal
  close(devnull);
  if (saved)
    setenv("COLUMNS", keep.c_str(), 1);
  else
    unsetenv("COLUMNS");
}

const char* kSummarySweep = R"(name: summary demo
base:
  task: {dataset: synthetic-images, epochs: 2, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16]}
seeds: [0, 1, 2]
ablations:
  norm:
    model.norm: [layernorm]
)";

// One worker group that trains nothing: every job reports two epochs and ends done, except
// layernorm seed 1, which diverges.
class EchoGroup : public test::OneGroupLink {
 public:
  explicit EchoGroup(std::map<std::string, std::string> variant_of)
      : OneGroupLink("echo"), variant_of_(std::move(variant_of)) {}
  void send(int, MessageKind kind, const std::string& payload) override {
    if (kind != MessageKind::Assign) return;
    const Assignment a = decode_assignment(payload);
    const bool layernorm = variant_of_.at(a.job_id) != "baseline";
    for (int e = 1; e <= 2; ++e) {
      EpochReport r;
      r.job_id = a.job_id;
      r.metrics.epoch = e;
      r.metrics.test_acc = (layernorm ? 0.70 : 0.60) + 0.01 * static_cast<double>(a.seed) + 0.1 * e;
      reply(MessageKind::Epoch, encode(r));
    }
    JobReport j;
    j.job_id = a.job_id;
    j.status = layernorm && a.seed == 1 ? JobStatus::Diverged : JobStatus::Done;
    j.error = j.status == JobStatus::Diverged ? "loss became nan in epoch 2" : "";
    reply(MessageKind::Finished, encode(j));
  }

 private:
  std::map<std::string, std::string> variant_of_;
};

TEST(RunOutput, VerboseEpochLinesNameTheirJobAndTheSummaryGuides) {
  test::TempDir dir;
  const SweepSpec spec = parse_sweep(kSummarySweep, "summary.yaml", model_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  ASSERT_EQ(jobs.size(), 6u);
  std::map<std::string, std::string> variant_of;
  for (const Job& j : jobs) variant_of[j.id] = j.variant;
  EchoGroup group(variant_of);
  const std::string db = dir.file("my results.db");
  ResultStore store(db, OpenMode::Writer);
  std::ostringstream out;
  FakeClock clock;
  RunSettings settings;
  settings.verbose = true;
  settings.progress = clock.options(&out, false, 0);
  const RunSummary s = run_coordinator(spec, kSummarySweep, jobs, group, store, settings);
  EXPECT_EQ(s.done, 5);
  EXPECT_EQ(s.diverged, 1);

  const std::string log = out.str();
  for (const Job& j : jobs)
    for (int e = 1; e <= 2; ++e) {
      const std::string want = j.section + " / " + j.variant + " seed " + std::to_string(j.seed) + " [" + j.id +
                               "] epoch " + std::to_string(e) + "/2";
      EXPECT_NE(log.find(want), std::string::npos) << want << "\n" << log;
    }
  EXPECT_NE(log.find("diverged: loss became nan in epoch 2"), std::string::npos) << log;
  EXPECT_NE(log.find("jobs 6/6: 5 done, 1 diverged, 0 running"), std::string::npos) << log;
  // Best: layernorm's done seeds 0 and 2 end at 0.90 and 0.92 (mean 0.91), beating the baseline's 0.81.
  EXPECT_NE(log.find("best norm / model.norm=layernorm 0.9100 (2 seeds)"), std::string::npos) << log;
  for (const auto& line : lines_of(log)) {
    EXPECT_EQ(line.rfind("T+", 0), 0u) << line;
  }

  const std::string summary = format_run_summary(s, store, spec.name, db);
  const auto lines = lines_of(summary);
  ASSERT_GE(lines.size(), 6u) << summary;
  EXPECT_EQ(lines[0].rfind("sweep summary demo: 5 done, 1 diverged, 0 failed, 0 already finished; this run took ", 0),
            0u)
      << summary;
  EXPECT_EQ(lines[1], "best variants (mean test_acc over done seeds):");
  EXPECT_NE(lines[2].find("1. norm / model.norm=layernorm"), std::string::npos) << summary;
  EXPECT_NE(lines[2].find("0.9100 ± 0.0141 (2 seeds)  [2 done, 1 diverged]"), std::string::npos) << summary;
  EXPECT_NE(lines[3].find("2. baseline / baseline"), std::string::npos) << summary;
  EXPECT_NE(lines[3].find("0.8100 ± 0.0100 (3 seeds)"), std::string::npos) << summary;
  EXPECT_NE(
      summary.find("metasweep results --db " + shell_word(db) + " --sweep 'summary demo' --group-by section,variant"),
      std::string::npos)
      << summary;
  EXPECT_NE(summary.find("metasweep report --db '" + db + "' --sweep 'summary demo' --out report"), std::string::npos)
      << summary;
  EXPECT_EQ(summary.find("keep their checkpoints"), std::string::npos) << summary;

  // A failed job's checkpoints stay to resume from when retried: the summary says what they hold.
  RunSummary failed = s;
  failed.checkpoint_dir = dir.file("ck dir");
  std::filesystem::create_directories(failed.checkpoint_dir);
  store.job_started(jobs[1].id, "h");
  store.job_finished(jobs[1].id, JobStatus::Failed, "timeout: 60 s", -1);
  dir.write("ck dir/" + jobs[1].id + ".ckpt", std::string(1500000, 'x'));
  dir.write("ck dir/" + jobs[1].id + ".ckpt.prev", std::string(1000000, 'x'));
  dir.write("ck dir/" + jobs[2].id + ".ckpt", std::string(10, 'x'));  // a done job's: not counted
  const std::string with_kept = format_run_summary(failed, store, spec.name, db);
  EXPECT_NE(with_kept.find("1 failed job(s) keep their checkpoints in " + failed.checkpoint_dir +
                           " (2.5 MB on this node) to resume from when retried; metasweep forget --db " +
                           shell_word(db) + " --job " + jobs[1].id + " --checkpoint-dir '" + failed.checkpoint_dir +
                           "' starts one over (its record and attempts too) and removes them\n"),
            std::string::npos)
      << with_kept;
}

TEST(RunOutput, ShellWordsReadBackUnchanged) {
  EXPECT_EQ(shell_word("results.db"), "results.db");
  EXPECT_EQ(shell_word("/tmp/a b.db"), "'/tmp/a b.db'");
  EXPECT_EQ(shell_word("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_word("$(rm -rf x)"), "'$(rm -rf x)'");
  EXPECT_EQ(shell_word(""), "''");
}

}  // namespace
}  // namespace ms
