// Backend choice for a job's communicator.
#include "worker/dist/communicator.h"

#include "worker/dist/communicator_mpi.h"
#include "worker/dist/communicator_nccl.h"

namespace ms {

std::unique_ptr<Communicator> make_communicator(MPI_Comm comm, torch::Device device) {
#ifdef METASWEEP_HAVE_NCCL
  if (device.is_cuda()) return std::make_unique<NcclCommunicator>(comm, device);
#else
  (void)device;
#endif
  return std::make_unique<MpiCommunicator>(comm);
}

}  // namespace ms
