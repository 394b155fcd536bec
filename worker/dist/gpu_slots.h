// One rank per GPU: NCCL cannot run two ranks of one communicator on one device, so a job's ranks
// are checked before a communicator exists. A slot is (host, CUDA device index); the check gathers
// every rank's slot over the group and names the first two ranks that share one.
#pragma once
#include <cstdint>
#include <mpi.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ms {

struct GpuSlot {
  std::string host;
  int64_t index = 0;
};

// The first pair of ranks (by the second rank, then the first) with the same host and index.
std::optional<std::pair<int, int>> shared_gpu(const std::vector<GpuSlot>& slots);

// Collective over `comm`: every rank throws std::runtime_error naming the two ranks and the GPU
// when two ranks of the group use device `index` of one host.
void require_one_rank_per_gpu(MPI_Comm comm, int64_t index);

}  // namespace ms
