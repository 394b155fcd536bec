// Watchdog registration around each collective (see watched_communicator.h).
#include "worker/dist/watched_communicator.h"

#include <string>

#include "worker/dist/device_watch.h"

namespace ms {

namespace {
std::string describe(const char* op, const torch::Tensor& t) {
  return std::string(op) + " of " + std::to_string(t.numel()) + " " + c10::toString(t.scalar_type()) + " values";
}

}  // namespace

WatchedCommunicator::WatchedCommunicator(std::unique_ptr<Communicator> inner, CollectiveWatchdog* dog,
                                         torch::Device device)
    : inner_(std::move(inner)), dog_(dog), device_(device) {}

void WatchedCommunicator::all_reduce_sum(torch::Tensor& flat) {
  const std::string what = describe("all-reduce", flat);
  {
    CollectiveWatchdog::Scope scope(dog_, what);
    inner_->all_reduce_sum(flat);
  }
  watch_on_device(what);
}

void WatchedCommunicator::broadcast(torch::Tensor& t, int root) {
  const std::string what = describe("broadcast", t) + " from rank " + std::to_string(root);
  {
    CollectiveWatchdog::Scope scope(dog_, what);
    inner_->broadcast(t, root);
  }
  watch_on_device(what);
}

void WatchedCommunicator::barrier() {
  CollectiveWatchdog::Scope scope(dog_, "barrier");
  inner_->barrier();
}

void WatchedCommunicator::watch_on_device(const std::string& what) {
  if (inner_->asynchronous() && inner_->size() > 1) watch_device(dog_, device_, what);
}

}  // namespace ms
