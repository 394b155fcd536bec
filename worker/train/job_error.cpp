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
  return out;
}

}  // namespace ms
