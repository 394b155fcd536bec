// CUDA events as watchdog waits (see device_watch.h).
#include "worker/dist/device_watch.h"

#include <memory>

#ifdef METASWEEP_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "worker/train/device.h"
#endif

namespace ms {

namespace {
#ifdef METASWEEP_HAVE_CUDA
// An event recorded on the device's current stream; polled and destroyed by the watchdog's
// polling thread, under CudaSideThread so that its calls never break a CUDA graph the training thread
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

void watch_device(CollectiveWatchdog* dog, const torch::Device& device, const std::string& what) {
  if (!dog || !device.is_cuda()) return;
#ifdef METASWEEP_HAVE_CUDA
  try {
    auto done = std::make_shared<DeviceDone>(device);
    dog->begin(what + " (on " + device.str() + ")", [done] { return done->done(); });
  } catch (...) {
    // Watching is best effort: an event or a thread that cannot be made (memory short for a
    // moment) must not end this rank's part of the job outside the group's checks, which would
    // strand its partners.
  }
#else
  (void)what;
#endif
}

}  // namespace ms
