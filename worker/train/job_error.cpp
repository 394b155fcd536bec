// Classifying a job's failure by exception type (see job_error.h).
#include "worker/train/job_error.h"

#include <new>

#include <c10/util/Exception.h>

#include "sweeps/errors.h"

namespace ms {

namespace {

// LibTorch 1.13 raises these without a type of their own; the phrases are LibTorch's fixed
// wording (c10/core/impl/alloc_cpu.cpp, c10/cuda/CUDAException.h), matched case-sensitively.
bool untyped_torch_error_is_transient(const c10::Error& e) {
  const std::string& m = e.msg();
  for (const char* phrase : {"DefaultCPUAllocator: can't allocate memory", "CUDA out of memory", "CUDA error: "})
    if (m.find(phrase) != std::string::npos) return true;
  return false;
}

// CUDA errors after which the context is unusable ("sticky" errors: every later call fails), as
// LibTorch words them ("CUDA error: " and cudaGetErrorString's text), and our own phrases for a
// broken communicator or capture.
bool device_lost_message(const std::string& m) {
  for (const char* error :
       {"an illegal memory access was encountered", "device-side assert triggered", "unspecified launch failure",
        "uncorrectable ECC error encountered", "misaligned address", "an illegal instruction was encountered",
        "the launch timed out and was terminated", "hardware stack error", "invalid program counter"})
    if (m.find(std::string("CUDA error: ") + error) != std::string::npos) return true;
  return m.find(kCommunicatorBroken) != std::string::npos || m.find(kCaptureBroken) != std::string::npos;
}

}  // namespace

bool is_transient(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const TransientError&) {
    return true;
  } catch (const std::bad_alloc&) {
    return true;
  } catch (const c10::OutOfMemoryError&) {
    return true;
  } catch (const c10::Error& e) {
    return untyped_torch_error_is_transient(e);
  } catch (...) {
    return false;
  }
}

JobError classify_job_error(std::exception_ptr error) {
  JobError out;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    out.message = user_message(e.what());
  } catch (...) {
    out.message = "unknown error (not a std::exception)";
  }
  out.transient = is_transient(error);
  out.device_lost = device_lost_message(out.message);
  // A fault of the GPU or the link is not the job's: retried on another worker. A capture that
  // failed would fail the same way anywhere (--cuda-graphs off is the way round it).
  if (out.device_lost) out.transient = out.message.find(kCaptureBroken) == std::string::npos;
  return out;
}

}  // namespace ms
