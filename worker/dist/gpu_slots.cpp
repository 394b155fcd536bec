// The one-rank-per-GPU check (see gpu_slots.h).
#include "worker/dist/gpu_slots.h"

#include <cstring>
#include <map>
#include <stdexcept>

#ifdef METASWEEP_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace ms {

std::string gpu_identity(int64_t index) {
#ifdef METASWEEP_HAVE_CUDA
  char bus[32] = {};
  if (cudaDeviceGetPCIBusId(bus, sizeof bus, static_cast<int>(index)) == cudaSuccess) return std::string("PCI ") + bus;
  (void)cudaGetLastError();  // not sticky: clear it
#endif
  return "cuda:" + std::to_string(index);
}

std::optional<std::pair<int, int>> shared_gpu(const std::vector<GpuSlot>& slots) {
  std::map<std::pair<std::string, std::string>, int> first;
  for (size_t r = 0; r < slots.size(); ++r) {
    const auto [it, fresh] = first.emplace(std::make_pair(slots[r].host, slots[r].gpu), static_cast<int>(r));
    if (!fresh) return std::make_pair(it->second, static_cast<int>(r));
  }
  return std::nullopt;
}

void require_one_rank_per_gpu(MPI_Comm comm, int64_t index) {
  constexpr int kHost = MPI_MAX_PROCESSOR_NAME;
  constexpr size_t kGpu = 48;
  struct Wire {
    char host[kHost];
    char gpu[kGpu];
    int64_t index;
  } mine{};
  int length = 0;
  MPI_Get_processor_name(mine.host, &length);
  const std::string gpu = gpu_identity(index);
  std::strncpy(mine.gpu, gpu.c_str(), kGpu - 1);
  mine.index = index;
  int size = 1;
  MPI_Comm_size(comm, &size);
  std::vector<Wire> all(static_cast<size_t>(size));
  if (MPI_Allgather(&mine, sizeof(Wire), MPI_BYTE, all.data(), sizeof(Wire), MPI_BYTE, comm) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Allgather of the ranks' GPUs failed");
  std::vector<GpuSlot> slots;
  for (const Wire& w : all)
    slots.push_back({std::string(w.host, strnlen(w.host, kHost)), std::string(w.gpu, strnlen(w.gpu, kGpu))});
  if (const auto pair = shared_gpu(slots)) {
    const GpuSlot& slot = slots[static_cast<size_t>(pair->first)];
    const Wire& a = all[static_cast<size_t>(pair->first)];
    const Wire& b = all[static_cast<size_t>(pair->second)];
    const std::string where = slot.gpu.rfind("cuda:", 0) == 0
                                  ? slot.gpu
                                  : "the GPU at " + slot.gpu + " (their cuda:" + std::to_string(a.index) +
                                        (a.index == b.index ? "" : " and cuda:" + std::to_string(b.index)) + ")";
    throw std::runtime_error("ranks " + std::to_string(pair->first) + " and " + std::to_string(pair->second) +
                             " of one job both use " + where + " on " + slot.host +
                             ": NCCL needs one rank per GPU (fewer --ranks-per-job, or at most one rank per GPU "
                             "per node)");
  }
}

}  // namespace ms
