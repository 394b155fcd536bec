// A Communicator whose every collective is registered with a CollectiveWatchdog while the rank
// waits for its partners: on the host while the call blocks (MPI), and on the GPU until an event
// recorded after the collective completes (NCCL, which only enqueues). A partner that hangs
// without failing then ends the run after the watchdog's timeout instead of never.
#pragma once
#include <memory>

#include "worker/dist/collective_watchdog.h"
#include "worker/dist/communicator.h"

namespace ms {

class WatchedCommunicator final : public Communicator {
 public:
  // `dog` outlives this communicator. `device`: where an asynchronous communicator's work runs.
  WatchedCommunicator(std::unique_ptr<Communicator> inner, CollectiveWatchdog* dog, torch::Device device);

  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  void all_reduce_sum(torch::Tensor& flat) override;
  void broadcast(torch::Tensor& t, int root) override;
  void barrier() override;
  bool asynchronous() const override { return inner_->asynchronous(); }

 private:
  // After an asynchronous collective: a wait that ends when the device has done it.
  void watch_on_device(const std::string& what);

  std::unique_ptr<Communicator> inner_;
  CollectiveWatchdog* dog_;
  torch::Device device_;
};

}  // namespace ms
