// Checkpoint files: atomic framed writes, the previous one kept, truncation and corruption
// detected (never loaded), and the model/optimizer round trip.
#include "worker/train/checkpoint.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/test_support.h"

namespace ms {
namespace {

TEST(CheckpointFile, KeepsTheLastTwoAndDetectsDamage) {
  test::TempDir dir;
  const std::string path = dir.file("sub/job.ckpt");
  write_checkpoint_file(path, "first payload");
  write_checkpoint_file(path, "second payload");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  std::vector<std::string> problems;
  EXPECT_EQ(read_checkpoint_file(path, &problems).value(), "second payload");
  EXPECT_TRUE(problems.empty());

  std::string bytes = test::read_file(path);
  dir.write("sub/job.ckpt", bytes.substr(0, bytes.size() - 3));  // truncated
  EXPECT_EQ(read_checkpoint_file(path, &problems).value(), "first payload");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("truncated"), std::string::npos) << problems[0];

  bytes.back() ^= 1;  // same length, one bit flipped
  dir.write("sub/job.ckpt", bytes);
  dir.write("sub/job.ckpt.prev", "garbage");
  problems.clear();
  EXPECT_FALSE(read_checkpoint_file(path, &problems).has_value());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("checksum"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("not a metasweep checkpoint"), std::string::npos) << problems[1];

  EXPECT_FALSE(read_checkpoint_file(dir.file("none.ckpt"), &problems).has_value());
}

TEST(CheckpointFile, DoesNotRotateADamagedCurrentIntoPrev) {
  test::TempDir dir;
  const std::string path = dir.file("job.ckpt");
  write_checkpoint_file(path, "good");
  dir.write("job.ckpt", "torn write");
  write_checkpoint_file(path, "newer");
  std::vector<std::string> problems;
  EXPECT_EQ(read_checkpoint_file(path, &problems).value(), "newer");
  EXPECT_FALSE(std::filesystem::exists(path + ".prev"));
}

TEST(CheckpointEncoding, RoundTripsModelOptimizerAndMetrics) {
  torch::manual_seed(0);
  torch::nn::Sequential a(torch::nn::Linear(3, 4), torch::nn::BatchNorm1d(4));
  torch::optim::Adam opt_a(a->parameters(), torch::optim::AdamOptions(0.1));
  a->forward(torch::randn({5, 3})).sum().backward();
  opt_a.step();
  CheckpointState s;
  s.epoch = 2;
  s.job_key = "key";
  s.epochs.resize(2);
  s.epochs[1].epoch = 2;
  s.epochs[1].test_acc = 0.75;
  const std::string bytes = encode_checkpoint(*a, opt_a, s);

  torch::nn::Sequential b(torch::nn::Linear(3, 4), torch::nn::BatchNorm1d(4));
  torch::optim::Adam opt_b(b->parameters(), torch::optim::AdamOptions(0.1));
  const CheckpointState r = decode_checkpoint(bytes, *b, opt_b);
  EXPECT_EQ(r.epoch, 2);
  EXPECT_EQ(r.job_key, "key");
  EXPECT_EQ(r.epochs.at(1).test_acc, 0.75);
  for (size_t i = 0; i < a->parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(a->parameters()[i], b->parameters()[i]));
  }
  for (size_t i = 0; i < a->buffers().size(); ++i) {
    EXPECT_TRUE(torch::equal(a->buffers()[i], b->buffers()[i]));
  }
  // Same optimizer state: one more identical step keeps them equal.
  opt_a.zero_grad();
  for (auto* m : {&a, &b}) (*m)->forward(torch::ones({2, 3})).sum().backward();
  opt_a.step();
  opt_b.step();
  EXPECT_TRUE(torch::equal(a->parameters()[0], b->parameters()[0]));

  torch::nn::Sequential other(torch::nn::Linear(3, 5));
  torch::optim::Adam opt_o(other->parameters(), torch::optim::AdamOptions(0.1));
  EXPECT_THROW(decode_checkpoint(bytes, *other, opt_o), std::exception);
}

}  // namespace
}  // namespace ms
