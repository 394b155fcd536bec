// The one-rank-per-GPU check that guards every multi-rank CUDA job (NCCL cannot run two ranks on
// one device), on CPU: the pairing logic on hand-made slots, and the collective over the MPI
// world. Run alone (a singleton MPI job) every rank has its own device; tests/mpi/gpu_slots.sh
// runs this test under mpirun -np 3, where giving every rank device 0 must be refused by all.
#include "worker/dist/gpu_slots.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace ms {
namespace {

TEST(GpuSlots, TheFirstTwoRanksOnOneDeviceOfOneHost) {
  EXPECT_FALSE(shared_gpu({}));
  EXPECT_FALSE(shared_gpu({{"a", "cuda:0"}, {"a", "cuda:1"}, {"b", "cuda:0"}, {"b", "cuda:1"}}));  // other host: fine
  EXPECT_EQ(shared_gpu({{"a", "cuda:0"}, {"a", "cuda:1"}, {"b", "cuda:0"}, {"a", "cuda:1"}}), std::make_pair(1, 3));
  EXPECT_EQ(shared_gpu({{"a", "cuda:2"}, {"b", "cuda:2"}, {"b", "cuda:2"}, {"a", "cuda:2"}}),
            std::make_pair(1, 2));  // found first
  // Per-task GPU binding: every rank's cuda:0 is another GPU, told apart by its bus id.
  EXPECT_FALSE(shared_gpu({{"a", "PCI 0000:18:00.0"}, {"a", "PCI 0000:3b:00.0"}}));
  EXPECT_EQ(shared_gpu({{"a", "PCI 0000:18:00.0"}, {"a", "PCI 0000:18:00.0"}}), std::make_pair(0, 1));
}

TEST(GpuSlots, AGpuIsItsBusIdWhereCudaKnowsIt) {
  // Without CUDA (this CPU build) or for a device CUDA does not have, the device index.
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(gpu_identity(3), "cuda:3");
  }
  EXPECT_EQ(gpu_identity(1000), "cuda:1000");
}

TEST(GpuSlots, RefusedByEveryRankOfTheWorld) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_NO_THROW(require_one_rank_per_gpu(MPI_COMM_WORLD, rank));  // cuda:<rank>: all distinct
  if (size == 1) {
    EXPECT_NO_THROW(require_one_rank_per_gpu(MPI_COMM_WORLD, 0));
  } else {
    try {
      require_one_rank_per_gpu(MPI_COMM_WORLD, 0);
      ADD_FAILURE() << "rank " << rank << " accepted " << size << " ranks on cuda:0";
    } catch (const std::runtime_error& e) {
      // "cuda:0", or on a CUDA machine "the GPU at PCI 0000:...: (their cuda:0)"
      const std::string what = e.what();
      EXPECT_NE(what.find("ranks 0 and 1 of one job both use "), std::string::npos) << what;
      EXPECT_NE(what.find("cuda:0"), std::string::npos) << what;
    }
  }
}

// MPI is finalised once at exit (the communicator tests of this binary may still need it).
class FinalizeMpi : public ::testing::Environment {
 public:
  void TearDown() override {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized) MPI_Finalize();
  }
};
[[maybe_unused]] ::testing::Environment* const kFinalizeMpi = ::testing::AddGlobalTestEnvironment(new FinalizeMpi);

}  // namespace
}  // namespace ms
