// A job's failure is transient (the coordinator retries it) by the type of what was thrown, not
// by its text: ours say so with TransientError, LibTorch's typed out-of-memory errors and a real
// failed allocation count as transient, everything else (missing data, shape errors, even our
// own error that merely mentions memory) is final. A failure that leaves the worker unusable (a
// sticky CUDA error, a broken NCCL communicator, a failed capture) is device_lost, recognised by
// its wording also when another rank's failure reaches the leader as text.
#include "worker/train/job_error.h"

#include <new>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "sweeps/errors.h"

namespace ms {
namespace {

template <typename F>
JobError classify_thrown(F&& f) {
  try {
    f();
  } catch (...) {
    return classify_job_error(std::current_exception());
  }
  ADD_FAILURE() << "nothing was thrown";
  return {};
}

TEST(JobError, TransientByType) {
  EXPECT_TRUE(classify_thrown([] { throw TransientError("ncclAllReduce failed: unhandled system error"); }).transient);
  EXPECT_TRUE(classify_thrown([] { throw std::bad_alloc(); }).transient);
  EXPECT_TRUE(classify_thrown([] {
                TORCH_CHECK_WITH(OutOfMemoryError, false, "CUDA out of memory. Tried to allocate 20.00 MiB");
              }).transient);
}

TEST(JobError, ARealFailedAllocationIsTransient) {
  // 1 PiB is beyond any machine's address space, so LibTorch's CPU allocator fails for real.
  const JobError e = classify_thrown([] { (void)torch::empty({int64_t(1) << 50}, torch::kUInt8); });
  EXPECT_TRUE(e.transient) << e.message;
  EXPECT_EQ(e.message.find("frame #"), std::string::npos) << "no LibTorch backtrace in the message: " << e.message;
}

TEST(JobError, EverythingElseIsFinal) {
  EXPECT_FALSE(
      classify_thrown([] { throw std::runtime_error("/data: cannot open train-images-idx3-ubyte"); }).transient);
  EXPECT_FALSE(classify_thrown([] { TORCH_CHECK(false, "shape mismatch: [8, 16] vs [8, 32]"); }).transient);
  // The type decides, not the words: our own error mentioning memory is not a retry.
  EXPECT_FALSE(classify_thrown([] { throw std::runtime_error("model too large: out of memory"); }).transient);
  EXPECT_FALSE(classify_thrown([] { throw UsageError("bad input"); }).transient);
  const JobError odd = classify_thrown([] { throw 42; });
  EXPECT_FALSE(odd.transient);
  EXPECT_FALSE(odd.message.empty());
}

TEST(JobError, StickyCudaErrorsBrokenCommunicatorsAndFailedCapturesLoseTheWorker) {
  // A kernel's fault corrupts the context (LibTorch's wording): the worker is lost, and the job,
  // whose fault it likely is (a label out of range), is final.
  for (const char* error : {"CUDA error: an illegal memory access was encountered\nCUDA kernel errors might be",
                            "CUDA error: device-side assert triggered"}) {
    const JobError e = classify_thrown([&] { TORCH_CHECK(false, error); });
    EXPECT_TRUE(e.device_lost) << error;
    EXPECT_FALSE(e.transient) << error;
  }
  // A hardware fault of rank 1, as a data-parallel group relays it to the leader (text only):
  // the worker is lost and the job is retried on another.
  const JobError ecc =
      classify_thrown([] { throw std::runtime_error("rank 1 of 2: CUDA error: uncorrectable ECC error encountered"); });
  EXPECT_TRUE(ecc.device_lost);
  EXPECT_TRUE(ecc.transient);
  EXPECT_FALSE(ecc.capture_failed);
  const JobError nccl = classify_thrown([] {
    throw TransientError(std::string("ncclAllReduce failed: unhandled cuda error (") + kCommunicatorBroken + ")");
  });
  EXPECT_TRUE(nccl.device_lost);
  EXPECT_TRUE(nccl.transient);
  // A failed capture: the worker is lost, the job is retried (without graphs, the coordinator's part).
  const JobError capture = classify_thrown([] {
    throw TransientError(std::string("CUDA graph capture of the training step failed (") + kCaptureBroken +
                         "; --cuda-graphs off trains eagerly): operation not permitted when stream is capturing");
  });
  EXPECT_TRUE(capture.device_lost);
  EXPECT_TRUE(capture.transient);
  EXPECT_TRUE(capture.capture_failed);
  // Memory short, and errors that leave the device usable, keep the worker.
  for (const JobError& e :
       {classify_thrown(
            [] { TORCH_CHECK_WITH(OutOfMemoryError, false, "CUDA out of memory. Tried to allocate 2 GiB"); }),
        classify_thrown([] { TORCH_CHECK(false, "CUDA error: out of memory"); }),
        classify_thrown([] { TORCH_CHECK(false, "CUDA error: invalid configuration argument"); }),
        classify_thrown([] { throw std::runtime_error("/data: cannot open train-images-idx3-ubyte"); }),
        // the words alone, in a user's folder name, are not a CUDA error
        classify_thrown([] { throw std::runtime_error("/data/an illegal memory access was encountered: missing"); })})
    EXPECT_FALSE(e.device_lost) << e.message;
}

}  // namespace
}  // namespace ms
