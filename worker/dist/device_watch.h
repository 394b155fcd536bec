// Watching a GPU's progress: a wait, registered with a CollectiveWatchdog, that ends when the
// device has done the work enqueued so far on its current stream (a CUDA event, polled by the
// watchdog's polling thread). After an NCCL collective it times the partners; after a training
// step or an evaluation batch, the GPU itself: one that stops without an error then ends the run
// after the watchdog's timeout instead of holding it for ever (a one-rank job has no partner
// to notice, and --job-timeout is checked between steps, which a stopped GPU never reaches).
#pragma once
#include <string>

#include <torch/torch.h>

#include "worker/dist/collective_watchdog.h"

namespace ms {

// No-op without a watchdog, on the CPU (where no kernel runs past its call) and in builds
// without CUDA. Best effort: an event that cannot be made is no reason to fail the step.
void watch_device(CollectiveWatchdog* dog, const torch::Device& device, const std::string& what);

// The same when `what` costs something to build: made only when it is watched.
template <typename What>
void watch_device_lazily(CollectiveWatchdog* dog, const torch::Device& device, What&& what) {
  if (dog && device.is_cuda()) watch_device(dog, device, what());
}

// RAII for a host wait on the GPU (a copy to the host, an upload): timed by `dog` as
// "WHAT cuda:N", which catches a GPU that stopped after its last watched event; nothing is timed
// on the CPU or without a watchdog.
inline CollectiveWatchdog::Scope host_waits_for(CollectiveWatchdog* dog, const torch::Device& device,
                                                const char* what) {
  const bool timed = dog && device.is_cuda();
  return CollectiveWatchdog::Scope(timed ? dog : nullptr, timed ? what + (" " + device.str()) : std::string());
}

}  // namespace ms
