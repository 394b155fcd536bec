// Cross-rank checks: two in-process "ranks" (threads sharing a tiny communicator) that build
// different models are stopped with an error on both ranks before any parameter collective;
// identical ones pass, and trained parameters compare bitwise.
#include "worker/dist/rank_consistency.h"

#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "tests/worker/model_test_util.h"
#include "tests/worker/thread_communicator.h"
#include "worker/models/model.h"

namespace ms {
namespace {

using test::ThreadCommunicator;
using test::ThreadGroup;

nlohmann::json tiny_config(int dim2) {
  return test::make_config({{"task.dataset", "synthetic-images"},
                            {"task.image_size", 16},
                            {"model.depths", nlohmann::json::array({1, 1})},
                            {"model.dims", nlohmann::json::array({8, dim2})}});
}

// Runs the structure check on two threads; returns the error text seen by each rank ("" = none).
std::vector<std::string> check_pair(const nlohmann::json& a, const nlohmann::json& b) {
  ThreadGroup group(2);
  std::vector<std::string> errors(2);
  auto body = [&](int rank) {
    ThreadCommunicator comm(group, rank);
    torch::manual_seed(0);
    const auto& config = rank == 0 ? a : b;
    auto model = build_model(config);
    try {
      require_same_on_all_ranks(structure_fingerprint(config, 0, *model), comm, "the config and model structure");
    } catch (const std::exception& e) {
      errors[rank] = e.what();
    }
  };
  std::thread t0(body, 0), t1(body, 1);
  t0.join();
  t1.join();
  return errors;
}

TEST(RankConsistency, DisagreeingRanksFailOnEveryRank) {
  const auto errors = check_pair(tiny_config(16), tiny_config(24));
  for (const auto& e : errors) {
    EXPECT_NE(e.find("ranks of this job disagree on the config and model structure"), std::string::npos) << e;
    EXPECT_NE(e.find("1 of 2 ranks differ"), std::string::npos) << e;
  }
}

TEST(RankConsistency, AgreeingRanksPass) {
  const auto errors = check_pair(tiny_config(16), tiny_config(16));
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
}

TEST(RankConsistency, ParameterFingerprintSeesOneBitFlip) {
  torch::manual_seed(0);
  auto model = build_model(tiny_config(16));
  const uint64_t before = parameter_fingerprint(*model);
  EXPECT_EQ(before, parameter_fingerprint(*model));
  {
    torch::NoGradGuard no_grad;
    auto p = model->parameters().front();
    auto flat = p.view(-1);
    int32_t bits;
    float v = flat[0].item<float>();
    std::memcpy(&bits, &v, 4);
    bits ^= 1;
    std::memcpy(&v, &bits, 4);
    flat[0] = v;
  }
  EXPECT_NE(before, parameter_fingerprint(*model));
}

}  // namespace
}  // namespace ms
