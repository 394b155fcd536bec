// RAII for the MPI runtime: initialises MPI once per process (thread level FUNNELED) and
// finalises it on destruction. Works without mpirun too (singleton MPI: one rank).
#pragma once
#include <mpi.h>
#include <string>
#include <vector>

namespace ms {

class MpiEnvironment {
 public:
  MpiEnvironment(int* argc, char*** argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }  // rank among the processes of this node
  int local_size() const { return local_size_; }
  const std::string& host() const { return host_; }

  // Rank 0's value on every rank (collective: every rank of MPI_COMM_WORLD must call it).
  int broadcast_from_root(int value) const;
  std::string broadcast_from_root(const std::string& text) const;
  // Every rank's host() on rank 0, by rank (empty on the other ranks; collective).
  std::vector<std::string> hosts_at_root() const;
  // The smallest value any rank passed, on every rank (collective).
  int min_over_ranks(int value) const;

  // Aborts every rank (used when one rank hits a fatal error and the others may be blocked).
  [[noreturn]] void abort(int code) const;

 private:
  bool owns_ = false;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
  std::string host_;
};

}  // namespace ms
