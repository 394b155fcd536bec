// Why a job failed, decided at the job boundary by the type of what was thrown: a transient
// failure (memory short for a moment, a collective's link or peer failing) is retried by the
// coordinator; anything else (bad data, a bug, a failed CUDA graph capture) fails the job at once.
// Our code says "transient" by throwing TransientError (sweeps/errors.h); LibTorch's typed
// errors (c10::OutOfMemoryError, std::bad_alloc) map to it here. LibTorch 1.13 raises a few
// transient failures as a plain c10::Error (the CPU allocator, CUDA runtime calls): those, and
// only those, are recognised by LibTorch's own fixed wording, in one place (job_error.cpp).
// Some failures also leave the worker unusable for any later job (device_lost): a CUDA error that
// corrupts the context (an illegal memory access, an uncorrectable ECC error, ...), a broken NCCL
// communicator, a failed CUDA graph capture. They are recognised by their message, as a failure on
// another rank of a data-parallel group reaches the leader as text.
#pragma once
#include <exception>
#include <string>

namespace ms {

// Written into the messages of failures that leave the worker unusable (and matched by
// classify_job_error): by the NCCL communicator and by the CUDA graph capture.
inline constexpr const char* kCommunicatorBroken = "the group's NCCL communicator is broken";
inline constexpr const char* kCaptureBroken = "a failed capture leaves this process's CUDA state unusable";

struct JobError {
  std::string message;  // one line for the database (no LibTorch backtrace)
  bool transient = false;
  // The worker's GPU or communicator is unusable: it takes no more jobs (the job itself is
  // retried elsewhere when transient: a hardware fault is not the job's).
  bool device_lost = false;
  // The CUDA graph capture failed: device_lost, and the job's retries train without graphs.
  bool capture_failed = false;
};

// Classifies `error` (e.g. std::current_exception() inside a catch block).
JobError classify_job_error(std::exception_ptr error);

// True for an exception that a retry of the job may not meet again.
bool is_transient(std::exception_ptr error);

}  // namespace ms
