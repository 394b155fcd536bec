// Trainer: learning-rate schedule, smoothed cross-entropy, learning on a tiny job, resume from a
// checkpoint equal to an uninterrupted run, divergence as a result, timeout as JobTimeout.
#include "worker/train/trainer.h"

#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/test_support.h"
#include "tests/worker/model_test_util.h"
#include "worker/dist/collective_watchdog.h"
#include "worker/train/checkpoint.h"
#include "worker/train/device.h"
#include "worker/train/lr_schedule.h"
#include "worker/train/trainer_loss.h"

namespace ms {
namespace {

TrainOptions quiet() {
  TrainOptions o;
  o.threads = 1;
  return o;
}

TEST(LrSchedule, WarmupThenCosine) {
  LrSchedule s("cosine", 1.0, 0.1, 0.5, 10, 3);  // 30 steps, 5 warmup
  EXPECT_EQ(s.warmup_steps(), 5);
  EXPECT_DOUBLE_EQ(s.at(0), 0.2);
  EXPECT_DOUBLE_EQ(s.at(4), 1.0);
  EXPECT_DOUBLE_EQ(s.at(5), 1.0);
  EXPECT_NEAR(s.at(17), 0.1 + 0.45 * (1 + std::cos(M_PI * 12 / 25)), 1e-12);  // 12 of 25 decay steps
  EXPECT_NEAR(s.at(30), 0.1, 1e-12);
  LrSchedule c("constant", 0.3, 0.0, 0.0, 10, 3);
  EXPECT_DOUBLE_EQ(c.at(0), 0.3);
  EXPECT_DOUBLE_EQ(c.at(29), 0.3);
  EXPECT_THROW(LrSchedule("step", 1, 0, 0, 1, 1), std::runtime_error);
}

// Style timm against timm's CosineLRScheduler._get_lr as PoolFormer/DeiT call it (t_in_epochs,
// stepped with the epoch): PoolFormer-S12's lr 4e-3, warmup 5 epochs from 1e-6, min_lr 1e-5, 300
// epochs. Epoch 0 runs at warmup_lr, epoch 1 at 1e-6 + (4e-3 - 1e-6) / 5; from epoch 5 on the
// cosine of e / 300 (warmup included in its span); every step of an epoch at the epoch's rate.
TEST(LrSchedule, TimmStyleIsTimmsCosineLrSchedulerPerEpoch) {
  const int64_t steps = 7;
  LrSchedule s("cosine", 4e-3, 1e-5, 5, steps, 300, "timm", 1e-6);
  const auto cosine = [](double e) { return 1e-5 + 0.5 * (4e-3 - 1e-5) * (1 + std::cos(M_PI * e / 300)); };
  const std::vector<std::pair<int64_t, double>> expected = {
      {0, 1e-6},      {1, 1e-6 + (4e-3 - 1e-6) / 5},     {4, 1e-6 + 4 * (4e-3 - 1e-6) / 5},
      {5, cosine(5)}, {150, 1e-5 + 0.5 * (4e-3 - 1e-5)}, {299, cosine(299)}};
  for (const auto& [epoch, lr] : expected)
    for (int64_t step : {epoch * steps, epoch * steps + steps - 1}) EXPECT_NEAR(s.at(step), lr, 1e-15) << step;
  EXPECT_NEAR(cosine(5), 3.997266e-3, 1e-9);  // the number (python3: math.cos)
  LrSchedule c("constant", 0.3, 0.0, 2, steps, 10, "timm", 0.1);
  EXPECT_DOUBLE_EQ(c.at(0), 0.1);
  EXPECT_DOUBLE_EQ(c.at(steps), 0.2);
  EXPECT_DOUBLE_EQ(c.at(2 * steps), 0.3);
  EXPECT_THROW(LrSchedule("cosine", 1, 0, 0, 1, 1, "fast"), std::runtime_error);
}

TEST(LrSchedule, CosineMidpointExact) {
  LrSchedule s("cosine", 2.0, 0.0, 0.0, 4, 1);  // 4 steps, progress = step / 4
  EXPECT_DOUBLE_EQ(s.at(0), 2.0);
  EXPECT_NEAR(s.at(2), 1.0, 1e-12);
  EXPECT_NEAR(s.at(1), 1.0 + std::cos(M_PI / 4), 1e-12);
}

TEST(Loss, SmoothedCrossEntropyMatchesHandComputation) {
  auto logits = torch::tensor({1.0f, 2.0f, 3.0f, 0.5f, 0.5f, 0.5f}).view({2, 3});
  auto target = torch::tensor({2, 0}, torch::kInt64);
  const double lse0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), lse1 = std::log(3.0) + 0.5;
  const double nll = (lse0 - 3.0) + (lse1 - 0.5);
  const double uniform = (lse0 - 2.0) + (lse1 - 0.5);  // mean over classes of -log p
  EXPECT_NEAR(smoothed_cross_entropy_sum(logits, target, 0.0).item<double>(), nll, 1e-5);
  EXPECT_NEAR(smoothed_cross_entropy_sum(logits, target, 0.1).item<double>(), 0.9 * nll + 0.1 * uniform, 1e-5);
  // Sequence shape N×L×K is flattened over positions.
  EXPECT_NEAR(smoothed_cross_entropy_sum(logits.view({1, 2, 3}), target.view({1, 2}), 0.1).item<double>(),
              0.9 * nll + 0.1 * uniform, 1e-5);
  EXPECT_EQ(correct_count(logits, target).item<int64_t>(), 2);  // ties resolve to class 0
}

TEST(Trainer, TinyPoolFormerLearnsSyntheticImages) {
  const auto config = test::tiny_image_job();
  std::vector<EpochMetrics> seen;
  TrainOptions o = quiet();
  o.on_epoch = [&](const EpochMetrics& m) { seen.push_back(m); };
  TrainOutcome out = train_job(config, 0, o);
  ASSERT_EQ(out.status, JobStatus::Done);
  ASSERT_EQ(out.epochs.size(), 3u);
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_LT(out.epochs.back().train_loss, out.epochs.front().train_loss);
  EXPECT_GT(out.epochs.back().test_acc, 0.5);  // chance is 0.25
  EXPECT_EQ(out.epochs.back().test_seq_acc, -1);
  EXPECT_GT(out.epochs.back().samples_per_s, 0);
  EXPECT_NEAR(out.epochs.back().lr, 0.0, 1e-4);                             // cosine ends near 0
  EXPECT_EQ(out.epochs.back().device, device_description(torch::kCPU, 1));  // what measured samples_per_s
}

// What trained an epoch: the CPU's model name as /proc/cpuinfo gives it (read here on its own)
// and each rank's threads; a GPU's name without threads.
TEST(Trainer, TheDeviceIsDescribedByItsNameRanksAndThreads) {
  std::ifstream in("/proc/cpuinfo");
  std::string model = "CPU";
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(": ") + 2);
      break;
    }
  const int threads = torch::get_num_threads();
  EXPECT_EQ(device_description(torch::kCPU, 2),
            "2× " + model + " (CPU, " + std::to_string(threads) + (threads == 1 ? " thread)" : " threads)"));
  EXPECT_EQ(device_description("NVIDIA H200", 8, 0), "8× NVIDIA H200");
  EXPECT_EQ(device_description("Xeon", 1, 1), "1× Xeon (CPU, 1 thread)");
  EXPECT_EQ(device_description("bad\x1b[2Jname", 1, 0), "1× bad\\x1B[2Jname");  // printable
}

// On the CPU no kernel outlives its call, so the watchdog (TrainOptions::watchdog) registers no
// wait there and the job's numbers are the unwatched job's (on a GPU: Gpu.AWatchedJob...).
TEST(Trainer, OnTheCpuTheWatchdogWatchesNothing) {
  auto config = test::tiny_image_job();
  config["task"]["epochs"] = 1;
  const TrainOutcome plain = train_job(config, 0, quiet());
  bool hung = false;
  CollectiveWatchdog dog(60, [&](const Hang&) { hung = true; });
  TrainOptions o = quiet();
  o.watchdog = &dog;
  const TrainOutcome watched = train_job(config, 0, o);
  EXPECT_EQ(dog.begun(), 0u);
  EXPECT_FALSE(hung);
  ASSERT_EQ(watched.epochs.size(), 1u);
  EXPECT_EQ(watched.epochs[0].train_loss, plain.epochs[0].train_loss);
  EXPECT_EQ(watched.epochs[0].test_acc, plain.epochs[0].test_acc);
}

TEST(Trainer, SequenceTaskReportsTokenAndSequenceAccuracy) {
  const auto config = test::make_config({{"task.dataset", "copy"},
                                         {"task.seq_len", 8},
                                         {"task.train_size", 512},
                                         {"task.test_size", 64},
                                         {"task.epochs", 2},
                                         {"task.batch_size", 64},
                                         {"task.optimizer.lr", 1e-2},
                                         {"model.arch", "sequence"},
                                         {"model.depths", {1}},
                                         {"model.dims", {16}},
                                         {"model.head_dim", 8},
                                         {"model.mixers", "attention"},
                                         {"model.drop_path", 0.0}});
  TrainOutcome out = train_job(config, 1, quiet());
  ASSERT_EQ(out.status, JobStatus::Done);
  const auto& m = out.epochs.back();
  EXPECT_GT(m.test_acc, 0.3);  // chance 0.1 per token
  EXPECT_GE(m.test_seq_acc, 0.0);
  EXPECT_LE(m.test_seq_acc, m.test_acc);
}

TEST(Trainer, ResumedRunEndsWithTheSameNumbers) {
  const auto config = test::tiny_image_job();
  const TrainOutcome clean = train_job(config, 3, quiet());

  test::TempDir dir;
  TrainOptions crashing = quiet();
  crashing.checkpoint_path = dir.file("job.ckpt");
  crashing.on_epoch = [](const EpochMetrics& m) {
    if (m.epoch == 2) throw std::runtime_error("simulated crash after epoch 2");
  };
  EXPECT_THROW(train_job(config, 3, crashing), std::runtime_error);

  TrainOptions resumed = quiet();
  resumed.checkpoint_path = dir.file("job.ckpt");
  const TrainOutcome out = train_job(config, 3, resumed);
  EXPECT_EQ(out.resumed_from_epoch, 2);
  ASSERT_EQ(out.epochs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out.epochs[i].train_loss, clean.epochs[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(out.epochs[i].test_loss, clean.epochs[i].test_loss) << "epoch " << i + 1;
    EXPECT_EQ(out.epochs[i].test_acc, clean.epochs[i].test_acc) << "epoch " << i + 1;
  }
  // Another job refuses the checkpoint instead of loading it.
  EXPECT_THROW(train_job(config, 4, resumed), std::runtime_error);
}

// --job-timeout bounds a job's training time across attempts: a job resumed from its checkpoint
// brings the time its checkpointed epochs took (a re-run used to restart the clock, so a job over
// the limit could end done after a few re-runs).
TEST(Trainer, ATimeoutCountsTheEpochsOfEarlierAttempts) {
  const auto config = test::tiny_image_job();
  test::TempDir dir;
  TrainOptions crashing = quiet();
  crashing.checkpoint_path = dir.file("job.ckpt");
  double checkpointed_s = 0;
  crashing.on_epoch = [&](const EpochMetrics& m) {
    checkpointed_s += m.wall_s;
    if (m.epoch == 2) throw std::runtime_error("simulated kill after epoch 2");
  };
  EXPECT_THROW(train_job(config, 3, crashing), std::runtime_error);
  ASSERT_GT(checkpointed_s, 0);

  TrainOptions resumed = quiet();
  resumed.checkpoint_path = dir.file("job.ckpt");
  resumed.timeout_s = 0.9 * checkpointed_s;  // already spent: the first check ends it
  try {
    train_job(config, 3, resumed);
    ADD_FAILURE() << "the resumed job ran past its limit";
  } catch (const JobTimeout& e) {
    EXPECT_NE(std::string(e.what()).find("counting the"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("in epoch 3"), std::string::npos) << e.what();
  }
}

TEST(Trainer, CorruptNewestCheckpointFallsBackToThePreviousOne) {
  const auto config = test::tiny_image_job({{"task.epochs", 2}});
  test::TempDir dir;
  TrainOptions o = quiet();
  o.checkpoint_path = dir.file("job.ckpt");
  train_job(config, 0, o);  // writes job.ckpt (epoch 2) and job.ckpt.prev (epoch 1)
  std::string bytes = test::read_file(o.checkpoint_path);
  bytes[bytes.size() / 2] ^= 0x5a;
  dir.write("job.ckpt", bytes);
  const TrainOutcome out = train_job(config, 0, o);
  EXPECT_EQ(out.resumed_from_epoch, 1);
  EXPECT_NE(out.message.find("checksum"), std::string::npos) << out.message;
  EXPECT_EQ(out.epochs.size(), 2u);
}

// A model that poisons its output with NaN once `poison` is set.
struct PoisonImpl : ModelImpl {
  PoisonImpl() { fc = register_module("fc", torch::nn::Linear(64, 4)); }
  torch::Tensor forward(const torch::Tensor& x) override {
    auto y = fc(x.flatten(1));
    return poison ? y * std::nan("") : y;
  }
  torch::nn::Linear fc{nullptr};
  bool poison = false;
};

TEST(Trainer, NanLossEndsAsDivergedWithItsEpoch) {
  const auto config = test::tiny_image_job();
  auto model = std::make_shared<PoisonImpl>();
  TrainOptions o = quiet();
  o.on_epoch = [&](const EpochMetrics& m) {
    if (m.epoch == 1) model->poison = true;
  };
  const TrainOutcome out = train_model(config, 0, o, [&](const nlohmann::json&) { return model; });
  EXPECT_EQ(out.status, JobStatus::Diverged);
  EXPECT_EQ(out.diverged_epoch, 2);
  EXPECT_EQ(out.epochs.size(), 1u);
  EXPECT_NE(out.message.find("nan"), std::string::npos) << out.message;
}

TEST(Trainer, AbsurdLearningRateDiverges) {
  const auto config = test::tiny_image_job({{"task.optimizer.name", "sgd"},
                                            {"task.optimizer.lr", 1e6},
                                            {"task.schedule.name", "constant"},
                                            {"task.schedule.warmup_epochs", 0.0},
                                            {"task.label_smoothing", 0.0}});
  const TrainOutcome out = train_job(config, 0, quiet());
  EXPECT_EQ(out.status, JobStatus::Diverged) << (out.epochs.empty() ? 0 : out.epochs.back().train_loss);
}

TEST(Trainer, TimeoutThrowsJobTimeout) {
  TrainOptions o = quiet();
  o.timeout_s = 1e-9;
  EXPECT_THROW(train_job(test::tiny_image_job(), 0, o), JobTimeout);
}

}  // namespace
}  // namespace ms
