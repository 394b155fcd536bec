// Cross-rank checks: two in-process "ranks" (threads sharing a tiny communicator) that build
// different models are stopped with an error on both ranks before any parameter collective;
// identical ones pass, and trained parameters compare bitwise.
#include "worker/dist/rank_consistency.h"

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/worker/model_test_util.h"
#include "worker/models/model.h"

namespace ms {
namespace {

// Collectives between N threads through shared memory (a generation-counted barrier).
class ThreadGroup {
 public:
  explicit ThreadGroup(int n) : n_(n), slots_(n) {}
  void exchange(int rank, const torch::Tensor& t, std::vector<torch::Tensor>& all) {
    std::unique_lock<std::mutex> lock(mutex_);
    slots_[rank] = t.clone();
    const int gen = generation_;
    if (++arrived_ == n_) {
      arrived_ = 0;
      snapshot_ = slots_;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation_ != gen; });
    }
    all = snapshot_;
  }
  int size() const { return n_; }

 private:
  int n_, arrived_ = 0, generation_ = 0;
  std::vector<torch::Tensor> slots_, snapshot_;
  std::mutex mutex_;
  std::condition_variable cv_;
};

class ThreadCommunicator : public Communicator {
 public:
  ThreadCommunicator(ThreadGroup& g, int rank) : g_(g), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return g_.size(); }
  void all_reduce_sum(torch::Tensor& flat) override {
    std::vector<torch::Tensor> all;
    g_.exchange(rank_, flat, all);
    auto sum = torch::zeros_like(flat);
    for (auto& t : all) sum += t;
    flat.copy_(sum);
  }
  void broadcast(torch::Tensor& t, int root) override {
    std::vector<torch::Tensor> all;
    g_.exchange(rank_, t, all);
    t.copy_(all[root]);
  }
  void barrier() override {
    std::vector<torch::Tensor> all;
    g_.exchange(rank_, torch::zeros({1}), all);
  }

 private:
  ThreadGroup& g_;
  int rank_;
};

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
