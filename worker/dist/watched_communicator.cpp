// Watchdog registration around each collective (see watched_communicator.h).
#include "worker/dist/watched_communicator.h"

#include <string>

#ifdef METASWEEP_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "worker/train/device.h"
#endif

namespace ms {

namespace {
std::string describe(const char* op, const torch::Tensor& t) {
  return std::string(op) + " of " + std::to_string(t.numel()) + " " + c10::toString(t.scalar_type()) + " values";
}

#ifdef METASWEEP_HAVE_CUDA
// An event recorded on the device's current stream; polled and destroyed by the watchdog's
// thread, under CudaSideThread so that its calls never break a CUDA graph the training thread
// is capturing.
class DeviceDone {
 public:
  explicit DeviceDone(const torch::Device& device) : device_(device) {
    c10::cuda::CUDAGuard guard(device);
    C10_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming));
    const cudaError_t rc = cudaEventRecord(event_, c10::cuda::getCurrentCUDAStream(device.index()).stream());
    if (rc != cudaSuccess) {
      (void)cudaEventDestroy(event_);
      C10_CUDA_CHECK(rc);
    }
  }
  ~DeviceDone() {
    try {  // on a GPU that failed for good, even setting the device throws
      CudaSideThread side(device_);
      (void)cudaEventDestroy(event_);
    } catch (...) {
    }
  }
  DeviceDone(const DeviceDone&) = delete;
  DeviceDone& operator=(const DeviceDone&) = delete;

  // True once the device passed the event, or when the query fails: a failed device is the
  // training thread's to report, not a hang.
  bool done() {
    try {
      CudaSideThread side(device_);
      const cudaError_t rc = cudaEventQuery(event_);
      if (rc == cudaErrorNotReady) return false;
      (void)cudaGetLastError();  // the query's error is not left for the next CUDA call of this thread
    } catch (...) {              // setting the device failed: the same
    }
    return true;
  }

 private:
  torch::Device device_;
  cudaEvent_t event_ = nullptr;
};
#endif
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
  if (!inner_->asynchronous() || inner_->size() == 1) return;
#ifdef METASWEEP_HAVE_CUDA
  if (!device_.is_cuda()) return;
  std::shared_ptr<DeviceDone> done;
  try {
    done = std::make_shared<DeviceDone>(device_);
  } catch (...) {
    // Watching is best effort: an event that cannot be made (memory short for a moment) must not
    // end this rank's part of the job outside the group's checks, which would strand its partners.
    return;
  }
  dog_->begin(what + " (on " + device_.str() + ")", [done] { return done->done(); });
#else
  (void)what;
#endif
}

}  // namespace ms
