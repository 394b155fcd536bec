// The real binary on the command-line cases a QA pass found wrong: a missing CUDA device under
// `run` (was an uncaught exception and SIGABRT), a label two sections share under `train
// --variant` (trained one silently), `report` for an unknown sweep (made its --out folder),
// `status` of failed jobs (counted their epochs as done), --checkpoint-dir naming a file (raw
// filesystem error, exit 1, an empty database left), a foreign file as --db for the readers
// (exit 1, unlike the writers' 2), `compare` with one sweep (named an option the usage does not
// have) and of a sweep with itself (blamed missing seeds). Each trains tiny jobs for one epoch.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <torch/cuda.h>

#include "tests/test_support.h"

namespace ms::test {
namespace {

// Two sections sharing the label `x`, and a variant too large to build (it fails at once).
std::string qa_sweep_text() {
  return "name: qa\n"
         "base:\n"
         "  task: {dataset: synthetic-images, image_size: 8, channels: 1, num_classes: 4, train_size: 32, "
         "test_size: 16, epochs: 1, batch_size: 16}\n"
         "  model: {depths: [1], dims: [8], stem: {kernel: 4, stride: 4, padding: 0}}\n"
         "seeds: [0, 1]\n"
         "ablations:\n"
         "  A:\n"
         "    - {label: x, model.mixers: identity}\n"
         "  B:\n"
         "    - {label: x, model.norm: none}\n"
         "  C:\n"
         "    - {label: huge, model.dims: [100000]}\n";
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

TEST(CliQaFixes, RunWithoutCudaAskedForCudaSaysSoInOneLine) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  TempDir dir;
  const std::string sweep = dir.write("qa.yaml", qa_sweep_text()), db = dir.file("cu.db");
  const CommandResult r = run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db) + " --device cuda");
  EXPECT_EQ(r.exit_code, 2) << r.err;  // bad input for this machine: exit status 2, one line
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("--device cuda: no CUDA device is available"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("use --device auto or --device cpu"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Signal"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(db));  // refused before the database was opened
}

TEST(CliQaFixes, AmbiguousLabelsFoldersFilesAndReadersGiveOneLineAndExit2) {
  TempDir dir;
  const std::string sweep = dir.write("qa.yaml", qa_sweep_text());

  // --variant x is a label of sections A and B: refused, naming both ways to say which.
  const CommandResult ambiguous = run_metasweep("train " + shell_quote(sweep) + " --variant x");
  EXPECT_EQ(ambiguous.exit_code, 2) << ambiguous.err;
  EXPECT_TRUE(one_line(ambiguous.err)) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("is ambiguous"), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("'A/x'"), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("'B/x'"), std::string::npos) << ambiguous.err;
  const CommandResult chosen = run_metasweep("train " + shell_quote(sweep) + " --variant B/x --seed 1 --device cpu");
  EXPECT_EQ(chosen.exit_code, 0) << chosen.err;
  EXPECT_NE(chosen.out.find("(B / x, seed 1)"), std::string::npos) << chosen.out;
  // A label written with a precomposed letter is found by the same text typed with a combining
  // accent (canonically equivalent), as the sweep file compares labels.
  std::string accented = qa_sweep_text();
  accented.replace(accented.find("label: huge"), 11, "label: caf\xc3\xa9");
  const std::string accented_sweep = dir.write("accented.yaml", accented);
  const CommandResult decomposed =
      run_metasweep("train " + shell_quote(accented_sweep) + " --variant 'C/cafe\xcc\x81' --device cpu");
  EXPECT_EQ(decomposed.exit_code, 1) << decomposed.err;  // found, then it fails to build (too large)
  EXPECT_EQ(decomposed.err.find("no such variant"), std::string::npos) << decomposed.err;
  EXPECT_NE(decomposed.out.find("(C / caf\xc3\xa9, seed 0)"), std::string::npos) << decomposed.out << decomposed.err;

  // --checkpoint-dir naming a file, or a folder below a file: exit 2 before any database exists.
  const std::string file = dir.write("afile", "x"), db = dir.file("r.db");
  for (const std::string& bad : {file, file + "/sub"}) {
    const CommandResult r = run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db) +
                                          " --checkpoint-dir " + shell_quote(bad));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(one_line(r.err)) << r.err;
    EXPECT_NE(r.err.find("is not a folder"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(db));
  }

  // A run whose 2 `huge` jobs fail: status counts only the epochs trained (6 of 8).
  const CommandResult run = run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  const CommandResult status = run_metasweep("status --db " + shell_quote(db));
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("progress: 6/8 epochs (75.0%)"), std::string::npos) << status.out;

  // report of an unknown sweep: exit 2, and no --out folder made.
  const std::string out = dir.file("never");
  const CommandResult report =
      run_metasweep("report --db " + shell_quote(db) + " --sweep nosuch --out " + shell_quote(out));
  EXPECT_EQ(report.exit_code, 2) << report.err;
  EXPECT_FALSE(std::filesystem::exists(out));

  // compare: one sweep is a usage error in the usage's own words; a sweep against itself has
  // no spread, and says its results are equal seed by seed.
  const CommandResult one = run_metasweep("compare --db " + shell_quote(db) + " qa");
  EXPECT_EQ(one.exit_code, 2) << one.err;
  EXPECT_NE(one.err.find("SWEEP_A SWEEP_B"), std::string::npos) << one.err;
  EXPECT_EQ(one.err.find("--sweep-b"), std::string::npos) << one.err;
  const CommandResult self = run_metasweep("compare --db " + shell_quote(db) + " qa qa");
  EXPECT_EQ(self.exit_code, 0) << self.err;
  EXPECT_NE(self.out.find("equal seed by seed (the same sweep twice?)"), std::string::npos) << self.out;

  // Readers given a file that is not a metasweep database: exit 2 like the writers.
  const std::string garbage = dir.write("garbage.db", std::string(4096, 'g'));
  const std::string empty_sqlite = dir.file("other.db");
  ASSERT_EQ(run_command("sqlite3 " + shell_quote(empty_sqlite) + " 'CREATE TABLE t (x)'").exit_code, 0);
  for (const std::string& foreign : {garbage, empty_sqlite})
    for (const std::string& command :
         {std::string("results"), std::string("status"), "report --sweep qa --out " + shell_quote(dir.file("o"))}) {
      const CommandResult r = run_metasweep(command + " --db " + shell_quote(foreign));
      EXPECT_EQ(r.exit_code, 2) << command << " on " << foreign << ": " << r.err;
      EXPECT_TRUE(one_line(r.err)) << r.err;
    }
}

// bf16 autocasts on CUDA only: on the CPU a bf16 job trains in fp32, which `run` says once
// however many such jobs there are (a "bf16" row equal to fp32 would otherwise look like a
// finding).
TEST(CliQaFixes, Bf16OnTheCpuSaysItTrainsInFp32) {
  TempDir dir;
  const std::string sweep = dir.write("bf.yaml",
                                      "name: bf\n"
                                      "base:\n"
                                      "  task: {dataset: synthetic-images, image_size: 8, channels: 1, num_classes: 4, "
                                      "train_size: 32, test_size: 16, epochs: 1, batch_size: 16}\n"
                                      "  model: {depths: [1], dims: [8], stem: {kernel: 4, stride: 4, padding: 0}}\n"
                                      "seeds: [0, 1]\n"
                                      "ablations:\n"
                                      "  precision:\n"
                                      "    task.precision: [bf16]\n");
  const CommandResult r =
      run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(dir.file("bf.db")) + " --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string note = "note: task.precision bf16 has no effect on cpu: autocast runs on CUDA only";
  const size_t at = r.err.find(note);
  EXPECT_NE(at, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(note, at + 1), std::string::npos) << r.err;  // once, for its two jobs
}

// `train --db` of a job the database has done trains it again (that is what it is for) and says
// that its recorded result is replaced; both attempts stay in its history.
TEST(CliQaFixes, TrainingADoneJobAgainSaysItReplacesItsResult) {
  TempDir dir;
  const std::string sweep = dir.write("again.yaml",
                                      "name: again\n"
                                      "base:\n"
                                      "  task: {dataset: synthetic-images, image_size: 8, channels: 1, num_classes: 4, "
                                      "train_size: 32, test_size: 16, epochs: 1, batch_size: 16}\n"
                                      "  model: {depths: [1], dims: [8], stem: {kernel: 4, stride: 4, padding: 0}}\n"
                                      "seeds: [0]\n");
  const std::string train = "train " + shell_quote(sweep) + " --variant baseline --db " +
                            shell_quote(dir.file("a.db")) + " --device cpu --threads 1";
  const CommandResult first = run_metasweep(train);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.err.find("replaces its recorded result"), std::string::npos) << first.err;
  const CommandResult second = run_metasweep(train);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find(" is done in " + dir.file("a.db") + "; training it again replaces its recorded result"),
            std::string::npos)
      << second.err;
  const std::string id = first.out.substr(first.out.find("training ") + 9, 16);
  const CommandResult history = run_metasweep("status --db " + shell_quote(dir.file("a.db")) + " --job " + id);
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_NE(history.out.find("status: done, 2 attempt(s), 0 failed"), std::string::npos) << history.out;
}

// An interrupted job with epochs recorded but no checkpoint where this run looks (the earlier run
// had another --checkpoint-dir) trains again from epoch 1, and the run says so (a cluster audit
// saw it restart silently).
TEST(CliQaFixes, AnInterruptedJobWithoutItsCheckpointIsSaidToStartOver) {
  TempDir dir;
  const std::string sweep = dir.write("ck.yaml",
                                      "name: ck\n"
                                      "base:\n"
                                      "  task: {dataset: synthetic-images, image_size: 8, channels: 1, num_classes: 4, "
                                      "train_size: 32, test_size: 16, epochs: 2, batch_size: 16}\n"
                                      "  model: {depths: [1], dims: [8], stem: {kernel: 4, stride: 4, padding: 0}}\n");
  const std::string db = dir.file("ck.db");
  const std::string first = " --checkpoint-dir " + shell_quote(dir.file("first"));
  ASSERT_EQ(run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db) + first).exit_code, 0);
  // As a killed run leaves it: pending, with its epochs recorded and its checkpoint in "first".
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, "UPDATE jobs SET status = 'pending'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  std::filesystem::create_directories(dir.file("first"));
  { std::ofstream(dir.file("first/x.ckpt")) << "x"; }  // another job's: not this one's
  const CommandResult same = run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db) + first);
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NE(same.err.find("no checkpoint in " + dir.file("first")), std::string::npos) << same.err;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, "UPDATE jobs SET status = 'pending'", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  const CommandResult other = run_metasweep("run " + shell_quote(sweep) + " --db " + shell_quote(db));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.err.find("1 interrupted job(s) have epochs recorded but no checkpoint in " + db + ".checkpoints"),
            std::string::npos)
      << other.err;
  EXPECT_NE(other.err.find("did the earlier run use another --checkpoint-dir?"), std::string::npos) << other.err;
}

}  // namespace
}  // namespace ms::test
