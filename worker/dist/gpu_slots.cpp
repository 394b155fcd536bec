// The one-rank-per-GPU check (see gpu_slots.h).
#include "worker/dist/gpu_slots.h"

#include <map>
#include <stdexcept>

namespace ms {

std::optional<std::pair<int, int>> shared_gpu(const std::vector<GpuSlot>& slots) {
  std::map<std::pair<std::string, int64_t>, int> first;
  for (size_t r = 0; r < slots.size(); ++r) {
    const auto [it, fresh] = first.emplace(std::make_pair(slots[r].host, slots[r].index), static_cast<int>(r));
    if (!fresh) return std::make_pair(it->second, static_cast<int>(r));
  }
  return std::nullopt;
}

void require_one_rank_per_gpu(MPI_Comm comm, int64_t index) {
  constexpr int kHost = MPI_MAX_PROCESSOR_NAME;
  struct Wire {
    char host[kHost];
    int64_t index;
  } mine{};
  int length = 0;
  MPI_Get_processor_name(mine.host, &length);
  mine.index = index;
  int size = 1;
  MPI_Comm_size(comm, &size);
  std::vector<Wire> all(static_cast<size_t>(size));
  if (MPI_Allgather(&mine, sizeof(Wire), MPI_BYTE, all.data(), sizeof(Wire), MPI_BYTE, comm) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Allgather of the ranks' GPUs failed");
  std::vector<GpuSlot> slots;
  for (const Wire& w : all) slots.push_back({std::string(w.host, strnlen(w.host, kHost)), w.index});
  if (const auto pair = shared_gpu(slots)) {
    const GpuSlot& slot = slots[static_cast<size_t>(pair->first)];
    throw std::runtime_error("ranks " + std::to_string(pair->first) + " and " + std::to_string(pair->second) +
                             " of one job both use cuda:" + std::to_string(slot.index) + " on " + slot.host +
                             ": NCCL needs one rank per GPU (fewer --ranks-per-job, or at most one rank per GPU "
                             "per node)");
  }
}

}  // namespace ms
