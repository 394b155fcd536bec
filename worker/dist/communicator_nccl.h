// Communicator over NCCL for CUDA tensors, created from MPI: group rank 0 calls
// ncclGetUniqueId, MPI_Bcast shares the id, every rank calls ncclCommInitRank. One rank per
// GPU (NCCL refuses two ranks on one device; we check first and say so). Compiled only with
// METASWEEP_HAVE_NCCL; make_communicator() falls back to MPI otherwise.
#pragma once
#ifdef METASWEEP_HAVE_NCCL
#include <nccl.h>

#include "worker/dist/communicator_mpi.h"

namespace ms {

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(MPI_Comm comm, torch::Device device);
  ~NcclCommunicator() override;
  NcclCommunicator(NcclCommunicator&& other) noexcept;
  NcclCommunicator& operator=(NcclCommunicator&&) = delete;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return mpi_.rank(); }
  int size() const override { return mpi_.size(); }
  // Tensors must be contiguous; CPU tensors are staged through the communicator's GPU.
  void all_reduce_sum(torch::Tensor& flat) override;
  void broadcast(torch::Tensor& t, int root) override;
  void barrier() override;
  bool asynchronous() const override { return true; }

 private:
  MpiCommunicator mpi_;  // setup, barrier
  torch::Device device_;
  ncclComm_t nccl_ = nullptr;
  bool broken_ = false;  // a collective failed: the communicator is aborted, not destroyed
};

}  // namespace ms
#endif  // METASWEEP_HAVE_NCCL
