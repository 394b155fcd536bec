// A data-parallel job whose failure happens on one rank only, outside the training steps (its
// setup, rank 0's epoch report): two in-process ranks (threads) must both end the job with the
// failing rank's message, neither left waiting in a collective, and a transient failure (out of
// memory) must stay transient on every rank, so that the coordinator retries the job.
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sweeps/errors.h"
#include "tests/worker/model_test_util.h"
#include "tests/worker/thread_communicator.h"
#include "worker/train/job_error.h"
#include "worker/train/trainer.h"

namespace ms {
namespace {

struct RankEnd {
  std::string error;  // "" when train_model returned
  bool transient = false;
};

// Trains tiny_image_job() on two thread-ranks; `fail(rank, where)` may throw for that rank at
// "setup" (its model factory) or "epoch" (rank 0's on_epoch).
template <typename Fail>
std::vector<RankEnd> train_pair(Fail fail) {
  test::ThreadGroup group(2);
  std::vector<RankEnd> ends(2);
  auto body = [&](int rank) {
    test::ThreadCommunicator comm(group, rank);
    TrainOptions options;
    options.comm = &comm;
    options.threads = 1;
    if (rank == 0) options.on_epoch = [&](const EpochMetrics&) { fail(rank, "epoch"); };
    const ModelFactory factory = [&](const nlohmann::json& config) {
      fail(rank, "setup");
      return build_model(config);
    };
    try {
      train_model(test::tiny_image_job({{"task.epochs", 2}}), 0, options, factory);
    } catch (...) {
      const JobError e = classify_job_error(std::current_exception());
      ends[rank] = {e.message, e.transient};
    }
  };
  std::thread t0(body, 0), t1(body, 1);
  t0.join();
  t1.join();
  return ends;
}

TEST(GroupFailure, OneRanksSetupFailureEndsTheJobOnBothAndStaysTransient) {
  const auto oom = train_pair([](int rank, const std::string& where) {
    if (rank == 1 && where == "setup") throw TransientError("CUDA out of memory. Tried to allocate 2.00 GiB");
  });
  for (const RankEnd& e : oom) {
    EXPECT_EQ(e.error, "rank 1 of 2: CUDA out of memory. Tried to allocate 2.00 GiB");
    EXPECT_TRUE(e.transient) << "an out-of-memory on another rank is retried as well";
  }
  const auto missing = train_pair([](int rank, const std::string& where) {
    if (rank == 1 && where == "setup") throw std::runtime_error("/data/train: no such folder on this node");
  });
  for (const RankEnd& e : missing) {
    EXPECT_EQ(e.error, "rank 1 of 2: /data/train: no such folder on this node");
    EXPECT_FALSE(e.transient);
  }
}

TEST(GroupFailure, RankZerosFailedEpochReportEndsTheJobOnBoth) {
  const auto ends = train_pair([](int rank, const std::string& where) {
    if (rank == 0 && where == "epoch") throw std::runtime_error("checkpoint: No space left on device");
  });
  for (const RankEnd& e : ends) EXPECT_EQ(e.error, "rank 0 of 2: checkpoint: No space left on device");
  const auto fine = train_pair([](int, const std::string&) {});
  for (const RankEnd& e : fine) EXPECT_EQ(e.error, "");
}

}  // namespace
}  // namespace ms
