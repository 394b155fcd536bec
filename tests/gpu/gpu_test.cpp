// GPU suite (CTest label gpu): every token mixer gives the same numbers on CPU and CUDA, a bf16
// autocast training step runs and stays finite, and a single-rank NCCL group all-reduces. Each
// test skips cleanly on a machine without CUDA (the CPU CI machine) or without NCCL compiled in.
#include <gtest/gtest.h>
#include <mpi.h>

#include "communicator.h"
#include "model.h"
#include "model_cost.h"
#include "override.h"
#include "resolve.h"
#include "trainer.h"

namespace ms {
namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

nlohmann::json small_config(const std::string& mixer, const std::string& precision = "fp32") {
  Overrides o = {{"task.dataset", "synthetic-images", {}}, {"task.image_size", 16, {}},
                 {"task.train_size", 64, {}},          {"task.test_size", 32, {}},
                 {"task.epochs", 1, {}},               {"task.batch_size", 32, {}},
                 {"task.precision", precision, {}},    {"model.depths", nlohmann::json::array({1, 1}), {}},
                 {"model.dims", nlohmann::json::array({16, 32}), {}}, {"model.head_dim", 8, {}},
                 {"model.drop_path", 0.0, {}},         {"model.mixers", mixer, {}}};
  o.push_back({"model.stem.kernel", 3, {}});
  o.push_back({"model.stem.stride", 2, {}});
  o.push_back({"model.stem.padding", 1, {}});
  return resolve_config("gpu.yaml", {&o}, model_catalog(), Mark{});
}

TEST(Gpu, EveryMixerMatchesCpu) {
  SKIP_WITHOUT_CUDA();
  for (const auto& mixer : model_catalog().mixer_names()) {
    SCOPED_TRACE(mixer);
    const auto config = small_config(mixer);
    torch::manual_seed(0);
    auto cpu = build_model(config);
    torch::manual_seed(0);
    auto gpu = build_model(config);
    gpu->to(torch::kCUDA);
    cpu->eval();
    gpu->eval();
    torch::NoGradGuard no_grad;
    const auto x = torch::randn({4, 3, 16, 16});
    const auto a = cpu->forward(x);
    const auto b = gpu->forward(x.to(torch::kCUDA)).cpu();
    EXPECT_TRUE(torch::allclose(a, b, 1e-3, 1e-4)) << (a - b).abs().max().item<float>();
  }
}

TEST(Gpu, Bf16TrainingStepStaysFinite) {
  SKIP_WITHOUT_CUDA();
  TrainOptions options;
  options.device = torch::Device(torch::kCUDA, 0);
  const TrainOutcome out = train_job(small_config("attention", "bf16"), 0, options);
  ASSERT_EQ(out.status, JobStatus::Done) << out.message;
  ASSERT_EQ(out.epochs.size(), 1u);
  EXPECT_TRUE(std::isfinite(out.epochs[0].train_loss));
}

TEST(Gpu, NcclSingleRankGroupAllReduces) {
  SKIP_WITHOUT_CUDA();
#ifndef METASWEEP_HAVE_NCCL
  GTEST_SKIP() << "built without NCCL";
#else
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_Init(nullptr, nullptr);
  {
    auto comm = make_communicator(MPI_COMM_SELF, torch::Device(torch::kCUDA, 0));
    auto t = torch::arange(8, torch::TensorOptions().dtype(torch::kFloat).device(torch::kCUDA));
    comm->all_reduce_sum(t);
    EXPECT_TRUE(torch::equal(t.cpu(), torch::arange(8, torch::kFloat)));
  }
  MPI_Finalize();
#endif
}

}  // namespace
}  // namespace ms
