// In-process "ranks" for tests of data-parallel code: threads whose collectives meet in shared
// memory (a generation-counted barrier), behind the Communicator interface.
#pragma once
#include <condition_variable>
#include <mutex>
#include <vector>

#include <torch/torch.h>

#include "worker/dist/communicator.h"

namespace ms::test {

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

}  // namespace ms::test
