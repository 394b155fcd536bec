// MPI collectives on tensors. Counts above INT_MAX are split into chunks; tensors that do
// not live in host memory are staged through a CPU copy.
#include "worker/dist/communicator_mpi.h"

#include <climits>
#include <stdexcept>
#include <string>
#include <utility>

namespace ms {

namespace {
void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  throw std::runtime_error(std::string(what) + " failed: " + std::string(msg, size_t(len)));
}

constexpr int64_t kMaxChunk = INT_MAX / 2;
}  // namespace

MPI_Datatype mpi_type(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat:
      return MPI_FLOAT;
    case torch::kDouble:
      return MPI_DOUBLE;
    case torch::kInt64:
      return MPI_INT64_T;
    case torch::kInt32:
      return MPI_INT32_T;
    case torch::kUInt8:
      return MPI_UINT8_T;
    case torch::kInt8:
      return MPI_INT8_T;
    case torch::kBool:
      return MPI_C_BOOL;
    default:
      throw std::runtime_error(std::string("MPI collectives do not support tensors of type ") + c10::toString(t));
  }
}

MpiCommunicator::MpiCommunicator(MPI_Comm comm) {
  check(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiCommunicator::~MpiCommunicator() { release(); }

void MpiCommunicator::release() noexcept {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
  comm_ = MPI_COMM_NULL;
}

MpiCommunicator::MpiCommunicator(MpiCommunicator&& other) noexcept
    : comm_(std::exchange(other.comm_, MPI_COMM_NULL)), rank_(other.rank_), size_(other.size_) {}

MpiCommunicator& MpiCommunicator::operator=(MpiCommunicator&& other) noexcept {
  if (this != &other) {
    release();
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
    rank_ = other.rank_;
    size_ = other.size_;
  }
  return *this;
}

void MpiCommunicator::all_reduce_sum(torch::Tensor& flat) {
  if (!flat.is_contiguous()) throw std::runtime_error("all_reduce_sum needs a contiguous tensor");
  if (size_ == 1) return;
  torch::Tensor host = flat.is_cpu() ? flat : flat.cpu();
  const MPI_Datatype type = mpi_type(host.scalar_type());
  auto* base = static_cast<char*>(host.data_ptr());
  const int64_t n = host.numel(), elem = int64_t(host.element_size());
  for (int64_t off = 0; off < n; off += kMaxChunk) {
    const int count = int(std::min(kMaxChunk, n - off));
    check(MPI_Allreduce(MPI_IN_PLACE, base + off * elem, count, type, MPI_SUM, comm_), "MPI_Allreduce");
  }
  if (!flat.is_cpu()) flat.copy_(host);
}

void MpiCommunicator::broadcast(torch::Tensor& t, int root) {
  if (!t.is_contiguous()) throw std::runtime_error("broadcast needs a contiguous tensor");
  if (size_ == 1) return;
  torch::Tensor host = t.is_cpu() ? t : t.cpu();
  auto* base = static_cast<char*>(host.data_ptr());
  const int64_t n = host.numel() * int64_t(host.element_size());
  for (int64_t off = 0; off < n; off += kMaxChunk)
    check(MPI_Bcast(base + off, int(std::min(kMaxChunk, n - off)), MPI_BYTE, root, comm_), "MPI_Bcast");
  if (!t.is_cpu()) t.copy_(host);
}

void MpiCommunicator::barrier() { check(MPI_Barrier(comm_), "MPI_Barrier"); }

}  // namespace ms
