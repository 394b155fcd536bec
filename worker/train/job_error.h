// Why a job failed, decided at the job boundary by the type of what was thrown: a transient
// failure (memory short for a moment, a collective's link or peer failing) is retried by the
// coordinator; anything else (bad data, a bug, a failed CUDA graph capture) fails the job at once.
// Our code says "transient" by throwing TransientError (sweeps/errors.h); LibTorch's typed
// errors (c10::OutOfMemoryError, std::bad_alloc) map to it here. LibTorch 1.13 raises a few
// transient failures as a plain c10::Error (the CPU allocator, CUDA runtime calls): those, and
// only those, are recognised by LibTorch's own fixed wording, in one place (job_error.cpp).
#pragma once
#include <exception>
#include <string>

namespace ms {

struct JobError {
  std::string message;  // one line for the database (no LibTorch backtrace)
  bool transient = false;
};

// Classifies `error` (e.g. std::current_exception() inside a catch block).
JobError classify_job_error(std::exception_ptr error);

// True for an exception that a retry of the job may not meet again.
bool is_transient(std::exception_ptr error);

}  // namespace ms
