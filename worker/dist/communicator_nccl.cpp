// NCCL collectives on the current CUDA stream of the communicator's device.
#include "worker/dist/communicator_nccl.h"

#ifdef METASWEEP_HAVE_NCCL
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "sweeps/errors.h"
#include "worker/dist/gpu_slots.h"
#include "worker/train/job_error.h"

namespace ms {

namespace {

// A call the program made wrongly fails for good; a failing link, peer or CUDA call may not recur.
// After a collective failed so (`broken` given), the communicator cannot be used again: the job
// is retried on another group, and this group takes no more jobs (job_error.h).
void check(ncclResult_t rc, const char* what, bool* broken = nullptr) {
  if (rc == ncclSuccess) return;
  const std::string message = std::string(what) + " failed: " + ncclGetErrorString(rc);
  if (rc == ncclInvalidArgument || rc == ncclInvalidUsage) throw std::runtime_error(message);
  if (!broken) throw TransientError(message);
  *broken = true;
  throw TransientError(message + " (" + kCommunicatorBroken + ")");
}

ncclDataType_t nccl_type(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat:
      return ncclFloat32;
    case torch::kDouble:
      return ncclFloat64;
    case torch::kHalf:
      return ncclFloat16;
#if defined(NCCL_VERSION_CODE) && NCCL_VERSION_CODE >= 21000
    case torch::kBFloat16:
      return ncclBfloat16;
#endif
    case torch::kInt64:
      return ncclInt64;
    case torch::kInt32:
      return ncclInt32;
    case torch::kUInt8:
      return ncclUint8;
    case torch::kInt8:
      return ncclInt8;
    default:
      throw std::runtime_error(std::string("NCCL collectives do not support tensors of type ") + c10::toString(t));
  }
}

// Runs `op` on a contiguous CUDA tensor on `device`, staging other tensors through one.
template <typename Op>
void on_device(torch::Tensor& t, const torch::Device& device, Op op) {
  if (!t.is_contiguous()) throw std::runtime_error("NCCL collectives need a contiguous tensor");
  if (t.device() == device) return op(t);
  torch::Tensor staged = t.to(device);
  op(staged);
  t.copy_(staged);
}

}  // namespace

NcclCommunicator::NcclCommunicator(MPI_Comm comm, torch::Device device) : mpi_(comm), device_(device) {
  if (!device.is_cuda() || !device.has_index())
    throw std::runtime_error("NcclCommunicator needs an indexed CUDA device, got " + device.str());
  require_one_rank_per_gpu(mpi_.comm(), device.index());
  ncclUniqueId id;
  if (mpi_.rank() == 0) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
  if (MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, mpi_.comm()) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Bcast of the NCCL unique id failed");
  c10::cuda::CUDAGuard guard(device_);
  check(ncclCommInitRank(&nccl_, mpi_.size(), id, mpi_.rank()), "ncclCommInitRank");
}

NcclCommunicator::NcclCommunicator(NcclCommunicator&& other) noexcept
    : mpi_(std::move(other.mpi_)),
      device_(other.device_),
      nccl_(std::exchange(other.nccl_, nullptr)),
      broken_(other.broken_) {}

NcclCommunicator::~NcclCommunicator() {
  // Errors are ignored: destructors never throw. A broken communicator is aborted: destroying it
  // would wait for collectives that cannot finish.
  if (nccl_) (void)(broken_ ? ncclCommAbort(nccl_) : ncclCommDestroy(nccl_));
}

void NcclCommunicator::all_reduce_sum(torch::Tensor& flat) {
  if (size() == 1) return;
  on_device(flat, device_, [&](torch::Tensor& t) {
    c10::cuda::CUDAGuard guard(device_);
    auto stream = c10::cuda::getCurrentCUDAStream(device_.index());
    check(ncclAllReduce(t.data_ptr(), t.data_ptr(), size_t(t.numel()), nccl_type(t.scalar_type()), ncclSum, nccl_,
                        stream.stream()),
          "ncclAllReduce", &broken_);
  });
}

void NcclCommunicator::broadcast(torch::Tensor& t, int root) {
  if (size() == 1) return;
  on_device(t, device_, [&](torch::Tensor& d) {
    c10::cuda::CUDAGuard guard(device_);
    auto stream = c10::cuda::getCurrentCUDAStream(device_.index());
    // Bytes, so any dtype (bool, bf16 with old NCCL) broadcasts.
    check(ncclBroadcast(d.data_ptr(), d.data_ptr(), size_t(d.numel()) * d.element_size(), ncclUint8, root, nccl_,
                        stream.stream()),
          "ncclBroadcast", &broken_);
  });
}

void NcclCommunicator::barrier() {
  c10::cuda::getCurrentCUDAStream(device_.index()).synchronize();
  mpi_.barrier();
}

}  // namespace ms
#endif  // METASWEEP_HAVE_NCCL
