// Communicators and gradient buckets on a single-rank MPI world (the test process is a
// singleton MPI job; mpirun-driven checks live in tests/mpi/).
#include "worker/dist/communicator.h"

#include <mpi.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "worker/dist/communicator_mpi.h"
#include "worker/dist/grad_bucketer.h"

namespace ms {
namespace {

// MPI is initialised lazily, by the first test that needs it (the other suites of this binary,
// each run in its own process by CTest, do not pay for MPI_Init), and finalised once at exit.
bool g_mpi_owned = false;

void ensure_mpi() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  g_mpi_owned = true;
}

class MpiTestEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (g_mpi_owned && !finalized) MPI_Finalize();
  }
};

[[maybe_unused]] ::testing::Environment* const kMpiEnv = ::testing::AddGlobalTestEnvironment(new MpiTestEnvironment);

TEST(MpiCommunicator, SingleRankCollectivesAndMoves) {
  ensure_mpi();
  MpiCommunicator comm(MPI_COMM_WORLD);
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  auto t = torch::arange(5, torch::kFloat);
  comm.all_reduce_sum(t);
  EXPECT_TRUE(torch::equal(t, torch::arange(5, torch::kFloat)));
  comm.broadcast(t, 0);
  comm.barrier();
  MpiCommunicator moved(std::move(comm));
  EXPECT_EQ(comm.comm(), MPI_COMM_NULL);
  EXPECT_NE(moved.comm(), MPI_COMM_NULL);
  int result = 0;
  MPI_Comm_compare(moved.comm(), MPI_COMM_WORLD, &result);
  EXPECT_EQ(result, MPI_CONGRUENT);  // a duplicate, not the world itself
  auto bad = torch::zeros({2}, torch::kBFloat16);
  EXPECT_THROW(mpi_type(bad.scalar_type()), std::runtime_error);
  auto strided = torch::zeros({4, 4}).t();
  EXPECT_THROW(moved.all_reduce_sum(strided), std::runtime_error);
}

TEST(MakeCommunicator, CpuDeviceGetsMpi) {
  ensure_mpi();
  auto comm = make_communicator(MPI_COMM_WORLD, torch::kCPU);
  ASSERT_NE(dynamic_cast<MpiCommunicator*>(comm.get()), nullptr);
  EXPECT_EQ(comm->size(), 1);
}

// Counts collective calls and doubles every reduced buffer (as if a second rank held the same).
struct CountingCommunicator : Communicator {
  int rank() const override { return 0; }
  int size() const override { return 2; }
  void all_reduce_sum(torch::Tensor& flat) override {
    ++calls;
    flat.mul_(2);
  }
  void broadcast(torch::Tensor&, int) override {}
  void barrier() override {}
  int calls = 0;
};

TEST(GradBucketer, RoundTripOverMpiAndBucketing) {
  torch::manual_seed(0);
  std::vector<torch::Tensor> params;
  for (int64_t n : {10, 300, 7, 1000}) params.push_back(torch::randn({n}, torch::requires_grad()));
  auto frozen = torch::randn({5});  // no grad: skipped
  params.push_back(frozen);
  for (size_t i = 0; i + 1 < params.size(); ++i)
    params[i].mutable_grad() = torch::full({params[i].numel()}, float(i + 1));
  params[2].mutable_grad() = torch::Tensor();  // unused parameter: no gradient yet

  ensure_mpi();
  MpiCommunicator mpi(MPI_COMM_WORLD);
  GradBucketer one(params, mpi);
  EXPECT_EQ(one.bucket_count(), 1u);
  one.all_reduce(0.5);  // size 1: sum is identity, then scaled
  EXPECT_TRUE(torch::allclose(params[0].grad(), torch::full({10}, 0.5f)));
  EXPECT_TRUE(torch::allclose(params[3].grad(), torch::full({1000}, 2.0f)));
  ASSERT_TRUE(params[2].grad().defined());
  EXPECT_EQ(params[2].grad().abs().sum().item<float>(), 0.0f);

  CountingCommunicator counting;
  GradBucketer small(params, counting, /*bucket_bytes=*/1300 * 4);  // reverse order: 1000+7 | 300+10
  EXPECT_EQ(small.bucket_count(), 2u);
  small.all_reduce(0.5);  // ×2 then ×0.5: the mean of two identical ranks
  EXPECT_EQ(counting.calls, 2);
  EXPECT_TRUE(torch::allclose(params[1].grad(), torch::full({300}, 1.0f)));
  EXPECT_TRUE(torch::allclose(params[3].grad(), torch::full({1000}, 2.0f)));
}

}  // namespace
}  // namespace ms
