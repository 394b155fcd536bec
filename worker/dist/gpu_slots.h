// One rank per GPU: NCCL cannot run two ranks of one communicator on one device, so a job's ranks
// are checked before a communicator exists. A slot is (host, the GPU's PCI bus id): under per-task
// GPU binding (Slurm's --gpus-per-task, a CUDA_VISIBLE_DEVICES per rank) every rank sees its own
// GPU as cuda:0, so the device index alone would refuse ranks on different GPUs. Without CUDA (or
// where the bus id cannot be read) the slot is the device index. The check gathers every rank's
// slot over the group and names the first two ranks that share one.
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
  std::string gpu;  // "PCI 0000:3b:00.0", or "cuda:N" where no bus id is known
};

// What identifies device `index` of this process on its host (see above).
std::string gpu_identity(int64_t index);

// The first pair of ranks (by the second rank, then the first) with the same host and GPU.
std::optional<std::pair<int, int>> shared_gpu(const std::vector<GpuSlot>& slots);

// Collective over `comm`: every rank throws std::runtime_error naming the two ranks and the GPU
// when two ranks of the group use device `index` of one host.
void require_one_rank_per_gpu(MPI_Comm comm, int64_t index);

}  // namespace ms
