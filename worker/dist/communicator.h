// Collectives for the ranks of one data-parallel job, behind one interface: MPI for CPU
// tensors (communicator_mpi.h), NCCL for CUDA tensors when compiled in (communicator_nccl.h).
#pragma once
#include <memory>
#include <mpi.h>

#include <torch/torch.h>

namespace ms {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Sums a contiguous tensor over all ranks, in place (every rank gets the sum).
  virtual void all_reduce_sum(torch::Tensor& flat) = 0;
  // Copies `root`'s contiguous tensor into `t` on every rank (same shape and dtype everywhere).
  virtual void broadcast(torch::Tensor& t, int root) = 0;
  virtual void barrier() = 0;
  // True when a collective only enqueues its work on the device (NCCL on the current CUDA
  // stream) and returns before the other ranks took part; false when it returns done (MPI).
  virtual bool asynchronous() const { return false; }
};

// NCCL for a CUDA device when built with METASWEEP_HAVE_NCCL, MPI otherwise (CUDA tensors
// are then staged through host memory). `comm` is duplicated, never taken over.
std::unique_ptr<Communicator> make_communicator(MPI_Comm comm, torch::Device device);

}  // namespace ms
