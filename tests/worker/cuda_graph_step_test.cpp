// CUDA graph step, the parts that hold on any machine: the auto|on|off decision and its note,
// and a CPU job trains exactly the same with cuda_graphs on, auto and off (CPU has no graphs).
// The graphed step itself is exercised by the gpu suite (tests/gpu/gpu_test.cpp).
#include "worker/train/cuda_graph_step.h"

#include <stdexcept>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/worker/model_test_util.h"
#include "worker/train/trainer.h"

namespace ms {
namespace {

TEST(CudaGraphs, AutoOnlyForSmallModelsOnCuda) {
  const torch::Device cpu(torch::kCPU), cuda(torch::kCUDA, 0);
  const bool built = cuda_graphs_compiled();
  EXPECT_FALSE(use_cuda_graphs("auto", cpu, 1000));
  EXPECT_FALSE(use_cuda_graphs("on", cpu, 1000));
  EXPECT_FALSE(use_cuda_graphs("off", cpu, 1000));
  EXPECT_EQ(use_cuda_graphs("auto", cuda, 1000), built);
  EXPECT_EQ(use_cuda_graphs("auto", cuda, kGraphAutoMaxParams - 1), built);
  EXPECT_FALSE(use_cuda_graphs("auto", cuda, kGraphAutoMaxParams));
  EXPECT_EQ(use_cuda_graphs("on", cuda, 10 * kGraphAutoMaxParams), built);
  EXPECT_FALSE(use_cuda_graphs("off", cuda, 1000));
  EXPECT_THROW(use_cuda_graphs("yes", cuda, 1000), std::invalid_argument);
  EXPECT_THROW(use_cuda_graphs("", cpu, 1000), std::invalid_argument);
}

TEST(CudaGraphs, OnlyOnWhereItCannotApplyGetsANote) {
  const torch::Device cpu(torch::kCPU), cuda(torch::kCUDA, 0);
  const std::string note = cuda_graphs_note("on", cpu);
  EXPECT_NE(note.find("no effect on cpu"), std::string::npos) << note;
  EXPECT_EQ(note.find('\n'), std::string::npos) << note;
  EXPECT_EQ(cuda_graphs_note("auto", cpu), "");
  EXPECT_EQ(cuda_graphs_note("off", cpu), "");
  EXPECT_EQ(cuda_graphs_note("auto", cuda), "");
  EXPECT_EQ(cuda_graphs_note("on", cuda).empty(), cuda_graphs_compiled());
}

#ifndef METASWEEP_HAVE_CUDA
struct Identity : ModelImpl {
  torch::Tensor forward(const torch::Tensor& x) override { return x; }
};

TEST(CudaGraphs, StepCannotBeBuiltWithoutCuda) {
  Identity model;
  EXPECT_THROW(GraphedTrainStep(model, {}, torch::Device(torch::kCUDA, 0), false, 0.0, 1.0), std::logic_error);
}
#endif

TEST(CudaGraphs, CpuJobTrainsExactlyAsWithGraphsOff) {
  const auto config = test::make_config({{"task.dataset", "synthetic-images"},
                                         {"task.image_size", 8},
                                         {"task.channels", 1},
                                         {"task.num_classes", 4},
                                         {"task.train_size", 96},
                                         {"task.test_size", 32},
                                         {"task.epochs", 2},
                                         {"task.batch_size", 32},
                                         {"model.depths", {1, 1}},
                                         {"model.dims", {8, 16}},
                                         {"model.norm", "batchnorm"},
                                         {"model.drop_path", 0.1},
                                         {"model.stem.kernel", 3},
                                         {"model.stem.stride", 2},
                                         {"model.stem.padding", 1}});
  TrainOptions options;
  options.threads = 1;
  options.cuda_graphs = "off";
  const TrainOutcome off = train_job(config, 5, options);
  ASSERT_EQ(off.status, JobStatus::Done) << off.message;
  ASSERT_EQ(off.epochs.size(), 2u);
  for (const char* mode : {"on", "auto"}) {
    SCOPED_TRACE(mode);
    options.cuda_graphs = mode;
    const TrainOutcome out = train_job(config, 5, options);
    ASSERT_EQ(out.status, JobStatus::Done) << out.message;
    EXPECT_FALSE(out.cuda_graphs);
    ASSERT_EQ(out.epochs.size(), off.epochs.size());
    for (size_t i = 0; i < off.epochs.size(); ++i) {
      EXPECT_EQ(out.epochs[i].train_loss, off.epochs[i].train_loss) << "epoch " << i + 1;
      EXPECT_EQ(out.epochs[i].test_loss, off.epochs[i].test_loss) << "epoch " << i + 1;
    }
  }
  options.cuda_graphs = "sometimes";
  EXPECT_THROW(train_job(config, 5, options), std::invalid_argument);
}

}  // namespace
}  // namespace ms
