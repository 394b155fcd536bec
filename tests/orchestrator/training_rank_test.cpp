// How training ranks share a node's GPUs (orchestrator/training_rank.h): rank i of a node's
// trainers takes GPU i mod G, so an uneven count (9 trainers on an 8-GPU node: every node but the
// coordinator's under `--ntasks-per-node=9`) puts two jobs on GPU 0, which is said once per node.
#include "orchestrator/training_rank.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace ms {
namespace {

TEST(GpuShare, AnUnevenShareIsNamedAndAnEvenOneIsNot) {
  EXPECT_EQ(gpu_share_warning("node2", 8, 8), "");
  EXPECT_EQ(gpu_share_warning("node2", 16, 8), "");  // two jobs on every GPU: even (MPS)
  EXPECT_EQ(gpu_share_warning("node2", 3, 0), "");   // no GPU
  EXPECT_EQ(gpu_share_warning("node2", 9, 8),
            "warning: node2: 9 ranks train on 8 GPUs, so GPU 0 trains 2 job(s) at once and the others 1: give each "
            "node a multiple of 8 training ranks (one task more on the node of rank 0, which only coordinates)");
  EXPECT_NE(gpu_share_warning("n\x1b[31m", 11, 4).find("GPUs 0-2 train 3 job(s) at once and the others 2"),
            std::string::npos);
  EXPECT_EQ(gpu_share_warning("n\x1b[31m", 11, 4).find('\x1b'), std::string::npos);  // printable
}

TEST(HangMessage, NamesTheRankTheJobTheWaitAndTheWayOn) {
  EXPECT_EQ(hang_message("node7\x1b[2J", 1, 2, Hang{"all-reduce of 5 Float values", "job j1", 600.4, ""}),
            "node7\\x1B[2J, rank 1 of a group of 2 (job j1): all-reduce of 5 Float values has not "
            "finished after 600 s: a rank of the group or its GPU hangs without an error (a stopped GPU, a stalled "
            "file system or network); ending the run, the same command resumes it (--hang-timeout SEC sets this "
            "limit)");
  EXPECT_EQ(hang_message("node7", 0, 1, Hang{"training step 3 of 10 in epoch 2 (on cuda:1)", "job j2", 61, ""}),
            "node7, a one-rank group (job j2): training step 3 of 10 in epoch 2 (on cuda:1) has not "
            "finished after 61 s: its GPU hangs without an error (a stopped GPU, a stalled file system or network); "
            "ending the run, the same command resumes it (--hang-timeout SEC sets this limit)");
}

TEST(HangMessage, ARankWhosePartnersDoNotComeBackSaysWhy) {
  EXPECT_EQ(partners_lost_message("node7\x1b[2J", "j1", "CUDA error: uncorrectable ECC error encountered", 120.2),
            "node7\\x1B[2J: job j1 failed on this rank for good (CUDA error: uncorrectable ECC error encountered) and "
            "the other ranks of its group did not come back from the job within 120 s (waiting in a collective): "
            "ending the run; the same command resumes it (leave this GPU out)");
}

// The record a hung rank leaves for the next run: the message, one whole line, replacing an
// older record (every rank of a hung group may write it).
TEST(HangMessage, IsRecordedWholeBesideTheCheckpoint) {
  test::TempDir dir;
  const std::string path = hang_record_path(dir.file("abc.ckpt"));
  EXPECT_EQ(path, dir.file("abc.ckpt.hung"));
  record_hang(path, "first");
  record_hang(path, "hung: node7, rank 0 of a group of 2 (job abc): barrier has not finished");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "hung: node7, rank 0 of a group of 2 (job abc): barrier has not finished\n");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()),
            1);                                            // no temporary file left
  record_hang(dir.file("no/such/folder/x.hung"), "lost");  // fails quietly: the run ends anyway
}

}  // namespace
}  // namespace ms
