// Classifying a job's failure by exception type (see job_error.h).
#include "worker/train/job_error.h"

#include <initializer_list>
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

bool has_cuda_error(const std::string& m, std::initializer_list<const char*> errors) {
  for (const char* error : errors)
    if (m.find(std::string("CUDA error: ") + error) != std::string::npos) return true;
  return false;
}

// CUDA errors after which the context is unusable ("sticky": every later call fails), as LibTorch
// words them ("CUDA error: " and cudaGetErrorString's text). The hardware's faults are not the
// job's; a kernel's bad access or failed assertion (a label out of range, ...) would recur
// wherever the job ran.
bool hardware_fault(const std::string& m) {
  return has_cuda_error(m, {"uncorrectable ECC error encountered", "unspecified launch failure",
                            "the launch timed out and was terminated", "hardware stack error"}) ||
         m.find(kCommunicatorBroken) != std::string::npos;
}
bool kernel_fault(const std::string& m) {
  return has_cuda_error(m, {"an illegal memory access was encountered", "device-side assert triggered",
                            "misaligned address", "an illegal instruction was encountered", "invalid program counter"});
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
  // A fault of the GPU or the link is retried on another worker; a kernel's fault is final. A
  // failed capture is retried on another worker without CUDA graphs (the coordinator sees to it).
  out.capture_failed = out.message.find(kCaptureBroken) != std::string::npos;
  const bool hardware = hardware_fault(out.message), kernel = kernel_fault(out.message);
  out.device_lost = hardware || kernel || out.capture_failed;
  if (out.device_lost) out.transient = (hardware || out.capture_failed) && !kernel;
  return out;
}

}  // namespace ms
