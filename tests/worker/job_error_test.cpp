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
  // LibTorch's wording for a CUDA error that corrupts the context: retried elsewhere, worker lost.
  const JobError illegal = classify_thrown(
      [] { TORCH_CHECK(false, "CUDA error: an illegal memory access was encountered\nCUDA kernel errors might be"); });
  EXPECT_TRUE(illegal.device_lost);
  EXPECT_TRUE(illegal.transient);
  // The same error of rank 1, as a data-parallel group relays it to the leader: text only.
  const JobError relayed =
      classify_thrown([] { throw std::runtime_error("rank 1 of 2: CUDA error: uncorrectable ECC error encountered"); });
  EXPECT_TRUE(relayed.device_lost);
  EXPECT_TRUE(relayed.transient);
  const JobError nccl = classify_thrown([] {
    throw TransientError(std::string("ncclAllReduce failed: unhandled cuda error (") + kCommunicatorBroken + ")");
  });
  EXPECT_TRUE(nccl.device_lost);
  EXPECT_TRUE(nccl.transient);
  // A capture that failed for another reason than memory would fail anywhere: final, and the
  // worker that tried it is lost.
  const JobError capture = classify_thrown([] {
    throw std::runtime_error(std::string("CUDA graph capture of the training step failed (--cuda-graphs off trains "
                                         "eagerly; ") +
                             kCaptureBroken + "): operation not permitted when stream is capturing");
  });
  EXPECT_TRUE(capture.device_lost);
  EXPECT_FALSE(capture.transient);
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
