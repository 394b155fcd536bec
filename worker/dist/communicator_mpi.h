// Communicator over MPI: owns an MPI_Comm_dup of the group's communicator (RAII, move-only).
#pragma once
#include "worker/dist/communicator.h"

namespace ms {

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm);
  ~MpiCommunicator() override;
  MpiCommunicator(MpiCommunicator&& other) noexcept;
  MpiCommunicator& operator=(MpiCommunicator&& other) noexcept;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(torch::Tensor& flat) override;
  void broadcast(torch::Tensor& t, int root) override;
  void barrier() override;
  MPI_Comm comm() const { return comm_; }

 private:
  void release() noexcept;
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};

// The MPI datatype of a tensor's elements; throws for types MPI cannot reduce.
MPI_Datatype mpi_type(torch::ScalarType t);

}  // namespace ms
