// GPU suite (CTest label gpu): every token mixer gives the same numbers on CPU and CUDA, a bf16
// autocast training step runs and stays finite, a single-rank NCCL group all-reduces, and the
// CUDA-graph training step gives the eager step's loss and gradients (and a job the same loss
// curve with graphs on and off), and streamed image batches (pinned memory, asynchronous copies)
// arrive on the device as the CPU loader makes them, also while the training thread captures a
// graph; the collective watchdog sees a device wait end (or not) by its CUDA event, also beside a
// capture, and a job watched step by step trains as an unwatched one. Each test skips cleanly on a machine without CUDA
// (the CPU CI machine) or without NCCL / CUDA graphs compiled in.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mpi.h>
#include <mutex>
#include <thread>

#ifdef METASWEEP_HAVE_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <ATen/cuda/Sleep.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <gtest/gtest.h>

#include "images/decode.h"
#include "images/png_codec.h"
#include "sweeps/override.h"
#include "sweeps/resolve.h"
#include "sweeps/run_config.h"
#include "tests/test_support.h"
#include "worker/data/batch_source.h"
#include "worker/dist/collective_watchdog.h"
#include "worker/dist/communicator.h"
#include "worker/dist/watched_communicator.h"
#include "worker/models/model.h"
#include "worker/models/model_cost.h"
#include "worker/train/cuda_graph_step.h"
#include "worker/train/device.h"
#include "worker/train/flat_parameters.h"
#include "worker/train/parameter_roles.h"
#include "worker/train/trainer.h"
#include "worker/train/trainer_loss.h"

namespace ms {
namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

nlohmann::json small_config(const std::string& mixer, const std::string& precision = "fp32",
                            const std::string& norm = "group1", int64_t epochs = 1) {
  Overrides o = {{"task.dataset", "synthetic-images", {}},
                 {"task.image_size", 16, {}},
                 {"task.train_size", 64, {}},
                 {"task.test_size", 32, {}},
                 {"task.epochs", epochs, {}},
                 {"task.batch_size", 32, {}},
                 {"task.precision", precision, {}},
                 {"model.depths", nlohmann::json::array({1, 1}), {}},
                 {"model.dims", nlohmann::json::array({16, 32}), {}},
                 {"model.head_dim", 8, {}},
                 {"model.drop_path", 0.0, {}},
                 {"model.mixers", mixer, {}}};
  o.push_back({"model.stem.kernel", 3, {}});
  o.push_back({"model.stem.stride", 2, {}});
  o.push_back({"model.stem.padding", 1, {}});
  o.push_back({"model.norm", norm, {}});
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

#define SKIP_WITHOUT_CUDA_GRAPHS() \
  SKIP_WITHOUT_CUDA();             \
  if (!cuda_graphs_compiled()) GTEST_SKIP() << "built without CUDA graph support"

// The graphed step against the eager one on two different batches of one model: same loss, same
// gradients (so the static inputs are refilled and the graph really replays).
TEST(Gpu, GraphedStepMatchesTheEagerStep) {
  SKIP_WITHOUT_CUDA_GRAPHS();
  const torch::Device cuda(torch::kCUDA, 0);
  // packed: gradients are views of FlatParameters' buffer (as the trainer sets it up), which the
  // graph fills in place; otherwise each .grad becomes a tensor of the graph's pool.
  for (const auto& [norm, packed] :
       {std::pair{"group1", false}, std::pair{"batchnorm", false}, std::pair{"group1", true}}) {
    SCOPED_TRACE(std::string(norm) + (packed ? " packed" : ""));
    torch::manual_seed(0);
    auto model = build_model(small_config("attention", "fp32", norm));
    model->to(cuda);
    model->train();
    std::vector<torch::Tensor> params;
    for (auto& p : model->parameters())
      if (p.requires_grad()) params.push_back(p);
    std::unique_ptr<FlatParameters> flat;
    std::vector<torch::Tensor> grad_views;
    if (packed) {
      const DecaySplit split = split_by_weight_decay(*model);
      flat = std::make_unique<FlatParameters>(split.decaying, split.others);
      for (auto& p : params) grad_views.push_back(p.grad());
    }
    const double smoothing = 0.1, scale = 1.0 / 8;
    GraphedTrainStep graphed(*model, params, cuda, false, smoothing, scale);
    EXPECT_FALSE(graphed.captured());
    for (int batch = 0; batch < 3; ++batch) {
      SCOPED_TRACE(batch);
      const auto x = torch::randn({8, 3, 16, 16}, torch::TensorOptions().device(cuda));
      const auto y = torch::randint(0, 10, {8}, torch::TensorOptions().dtype(torch::kLong).device(cuda));
      if (flat)
        flat->zero_grad();
      else
        for (auto& p : params) p.mutable_grad() = torch::Tensor();
      const auto eager_loss = smoothed_cross_entropy_sum(model->forward(x), y, smoothing);
      (eager_loss * scale).backward();
      std::vector<torch::Tensor> eager_grads;
      for (auto& p : params) eager_grads.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());

      ASSERT_TRUE(graphed.accepts(x, y));
      if (flat) flat->zero_grad();  // the replay must fill the buffer, not find the eager gradients there
      const auto loss = graphed.run(x, y).clone();
      EXPECT_TRUE(graphed.captured());
      EXPECT_TRUE(torch::allclose(loss.cpu(), eager_loss.detach().cpu(), 1e-5, 1e-6))
          << loss.item<double>() << " vs " << eager_loss.item<double>();
      for (size_t i = 0; i < params.size(); ++i) {
        if (flat) {
          EXPECT_TRUE(params[i].grad().is_same(grad_views[i])) << "parameter " << i << " lost its buffer view";
          EXPECT_TRUE(torch::allclose(params[i].grad().cpu(), eager_grads[i].cpu(), 1e-4, 1e-6)) << "parameter " << i;
          continue;
        }
        ASSERT_EQ(params[i].grad().defined(), eager_grads[i].defined()) << "parameter " << i;
        if (eager_grads[i].defined()) {
          EXPECT_TRUE(torch::allclose(params[i].grad().cpu(), eager_grads[i].cpu(), 1e-4, 1e-6)) << "parameter " << i;
        }
      }
    }
    const auto other = torch::randn({4, 3, 16, 16}, torch::TensorOptions().device(cuda));
    EXPECT_FALSE(graphed.accepts(other, torch::zeros({4}, torch::TensorOptions().dtype(torch::kLong).device(cuda))));
  }
}

// A job trained with graphs follows the eager loss curve from the same seed (drop_path 0;
// only the order of floating-point atomics may differ), also with Mixup/CutMix's soft targets.
TEST(Gpu, JobWithGraphsOnMatchesGraphsOff) {
  SKIP_WITHOUT_CUDA_GRAPHS();
  struct Case {
    const char* mixer;
    const char* precision;
    const char* norm;
    bool mix;
  };
  for (const Case& c : {Case{"pool", "fp32", "group1", false}, Case{"attention", "fp32", "batchnorm", false},
                        Case{"attention", "bf16", "layernorm", false}, Case{"pool", "fp32", "group1", true}}) {
    SCOPED_TRACE(std::string(c.mixer) + " " + c.precision + " " + c.norm + (c.mix ? " mixup+cutmix" : ""));
    auto config = small_config(c.mixer, c.precision, c.norm, 3);
    if (c.mix) {  // soft targets (Mixup/CutMix) through the captured loss
      config["task"]["augment"]["mixup"] = 0.8;
      config["task"]["augment"]["cutmix"] = 1.0;
    }
    TrainOptions options;
    options.device = torch::Device(torch::kCUDA, 0);
    options.cuda_graphs = "off";
    const TrainOutcome off = train_job(config, 0, options);
    options.cuda_graphs = "on";
    const TrainOutcome on = train_job(config, 0, options);
    ASSERT_EQ(off.status, JobStatus::Done) << off.message;
    ASSERT_EQ(on.status, JobStatus::Done) << on.message;
    EXPECT_FALSE(off.cuda_graphs);
    EXPECT_TRUE(on.cuda_graphs);
    ASSERT_EQ(on.epochs.size(), 3u);
    ASSERT_EQ(off.epochs.size(), 3u);
    const double tol = std::string(c.precision) == "bf16" ? 2e-2 : 1e-3;
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_NEAR(on.epochs[i].train_loss, off.epochs[i].train_loss, tol * off.epochs[i].train_loss)
          << "epoch " << i + 1;
      EXPECT_NEAR(on.epochs[i].test_loss, off.epochs[i].test_loss, tol * off.epochs[i].test_loss) << "epoch " << i + 1;
    }
  }
}

// The streamed loader on CUDA builds batches in pinned host memory and copies them to the device
// asynchronously, one batch ahead: every batch must arrive equal to the CPU loader's, also while
// earlier copies may still be in flight (the pinned buffers are never rewritten under a copy).
TEST(Gpu, StreamedImagesArriveOnTheDeviceAsOnTheCpu) {
  SKIP_WITHOUT_CUDA();
  test::TempDir dir;
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < 20; ++i)
      for (const std::string split : {"train", "val"}) {
        if (split == "val" && i >= 4) continue;
        Image im = make_image(40 + i % 7, 30 + k, 3);
        for (size_t p = 0; p < im.pixels.size(); ++p) im.pixels[p] = static_cast<uint8_t>((p * (k + 3) + i * 31) % 251);
        const std::string folder = dir.file(split + "/class_" + std::to_string(k));
        std::filesystem::create_directories(folder);
        std::ofstream(folder + "/" + std::to_string(i) + ".png", std::ios::binary) << encode_png(im);
      }
  Overrides o = {{"task.dataset", "imagefolder", {}}, {"task.data_dir", dir.path(), {}},
                 {"task.num_classes", 3, {}},         {"task.image_size", 24, {}},
                 {"task.batch_size", 12, {}},         {"task.augment.rand_augment", "rand-m9-mstd0.5-inc1", {}}};
  const TaskConfig task = run_config(resolve_config("gpu.yaml", {&o}, model_catalog(), Mark{})).task;
  BatchSourceOptions on_cpu, on_gpu;
  on_cpu.threads = on_gpu.threads = 2;
  on_gpu.device = torch::Device(torch::kCUDA, 0);
  auto cpu = make_batch_source(task, 3, on_cpu), gpu = make_batch_source(task, 3, on_gpu);
  for (int64_t epoch = 1; epoch <= 2; ++epoch) {
    cpu->start_epoch(epoch);
    gpu->start_epoch(epoch);
    std::vector<torch::Tensor> expected, arrived;  // kept until the end: copies may overlap
    for (int64_t step = 0; step < gpu->steps_per_epoch(); ++step) {
      torch::Tensor x, y, gx, gy;
      ASSERT_TRUE(cpu->batch(step, x, y));
      ASSERT_TRUE(gpu->batch(step, gx, gy));
      EXPECT_TRUE(gx.is_cuda());
      EXPECT_TRUE(gy.is_cuda());
      expected.push_back(x.clone()), expected.push_back(y.clone());
      arrived.push_back(gx), arrived.push_back(gy);
    }
    torch::cuda::synchronize();
    for (size_t i = 0; i < expected.size(); ++i)
      EXPECT_TRUE(torch::equal(arrived[i].cpu(), expected[i])) << "epoch " << epoch << ", tensor " << i;
  }
  torch::Tensor x, y, gx, gy;
  cpu->test_chunk(0, 8, x, y);
  gpu->test_chunk(0, 8, gx, gy);
  EXPECT_TRUE(torch::equal(gx.cpu(), x));
  EXPECT_TRUE(torch::equal(gy.cpu(), y));
}

// The image loader's producer thread allocates pinned batches while the training thread may be
// capturing its step as a CUDA graph. Under the capture's default (global) mode such calls from
// another thread fail ("operation not permitted when stream is capturing") unless that thread is
// a CudaSideThread; and with it, the capture still succeeds and replays.
TEST(Gpu, PinnedAllocationsBesideACaptureAreAllowed) {
  SKIP_WITHOUT_CUDA_GRAPHS();
#ifdef METASWEEP_HAVE_CUDA
  const torch::Device cuda(torch::kCUDA, 0);
  std::atomic<bool> capturing{false}, captured{false};
  std::atomic<int> allocated{0};
  std::exception_ptr failure;
  std::thread side([&] {
    try {
      const CudaSideThread scope(cuda);
      std::vector<torch::Tensor> kept;  // kept alive: every allocation is a new pinned block
      while (!capturing) std::this_thread::yield();
      while (!captured) {
        kept.push_back(torch::empty({int64_t(1) << 14}, torch::TensorOptions().pinned_memory(true)));
        ++allocated;
      }
    } catch (...) {
      failure = std::current_exception();
      allocated = 1 << 20;  // never leave the capture waiting
    }
  });
  use_device(cuda);
  const c10::cuda::CUDAStream stream = c10::cuda::getStreamFromPool(false, 0);
  torch::Tensor x = torch::randn({1024}, torch::TensorOptions().device(cuda)), y;
  at::cuda::CUDAGraph graph;
  std::string capture_error;
  try {
    const c10::cuda::CUDAStreamGuard on_stream(stream);
    y = (x * 2 + 1).relu();  // warm-up on the capture stream
    torch::cuda::synchronize();
    graph.capture_begin();
    capturing = true;
    while (allocated < 20) std::this_thread::yield();  // the side thread allocates during the capture
    y = (x * 2 + 1).relu();
    graph.capture_end();
  } catch (const std::exception& e) {
    capture_error = e.what();
  }
  capturing = captured = true;
  side.join();
  ASSERT_TRUE(capture_error.empty()) << "capture beside pinned allocations: " << capture_error;
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      FAIL() << "pinned allocation beside the capture: " << e.what();
    }
  }
  x.fill_(-3.0);
  graph.replay();
  torch::cuda::synchronize();
  EXPECT_TRUE(torch::equal(y.cpu(), torch::zeros({1024})));  // relu(-3 * 2 + 1) = 0
#endif
}

// A job whose steps and evaluation batches are watched on the GPU (TrainOptions::watchdog), with
// graphs on (the capture beside the polling thread is CollectiveWatchdogWatchesTheDeviceThroughEvents'):
// it registers a wait per step and batch, reports no hang, and its numbers are the unwatched job's.
TEST(Gpu, AWatchedJobTrainsAsAnUnwatchedOne) {
  SKIP_WITHOUT_CUDA_GRAPHS();
  const auto config = small_config("pool", "fp32", "group1", 2);
  TrainOptions options;
  options.device = torch::Device(torch::kCUDA, 0);
  options.cuda_graphs = "on";
  const TrainOutcome plain = train_job(config, 0, options);
  std::atomic<int> hangs{0};
  CollectiveWatchdog dog(30, [&](const Hang&) { ++hangs; });
  options.watchdog = &dog;
  const TrainOutcome watched = train_job(config, 0, options);
  ASSERT_EQ(watched.status, JobStatus::Done) << watched.message;
  EXPECT_TRUE(watched.cuda_graphs);
  EXPECT_GE(dog.begun(), 2u * (64 / 32));  // 2 epochs of 2 steps, and the evaluation batches
  EXPECT_EQ(hangs.load(), 0);
  ASSERT_EQ(watched.epochs.size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_NEAR(watched.epochs[i].train_loss, plain.epochs[i].train_loss, 1e-3 * plain.epochs[i].train_loss);
}

#ifdef METASWEEP_HAVE_CUDA
// An asynchronous "collective" of two ranks that only keeps the GPU busy: a sleep kernel on the
// current stream, as an NCCL all-reduce waiting for a partner that never comes.
class SleepingCommunicator final : public Communicator {
 public:
  explicit SleepingCommunicator(int64_t cycles) : cycles_(cycles) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  void all_reduce_sum(torch::Tensor&) override { at::cuda::sleep(cycles_); }
  void broadcast(torch::Tensor&, int) override {}
  void barrier() override {}
  bool asynchronous() const override { return true; }

 private:
  int64_t cycles_;
};
#endif

TEST(Gpu, CollectiveWatchdogWatchesTheDeviceThroughEvents) {
  SKIP_WITHOUT_CUDA_GRAPHS();
#ifdef METASWEEP_HAVE_CUDA
  const torch::Device cuda(torch::kCUDA, 0);
  use_device(cuda);
  std::mutex mutex;
  std::vector<Hang> hangs;
  auto record = [&](const Hang& h) {
    std::lock_guard<std::mutex> lock(mutex);
    hangs.push_back(h);
  };
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mutex);
    return hangs.size();
  };
  torch::Tensor t = torch::zeros({4}, torch::TensorOptions().device(cuda));
  constexpr int64_t kSecondOfCycles = 2'000'000'000;  // about a second at 2 GHz
  {                                                   // many short device waits that finish: no hang
    CollectiveWatchdog dog(0.5, record);
    WatchedCommunicator comm(std::make_unique<SleepingCommunicator>(kSecondOfCycles / 1000), &dog, cuda);
    for (int i = 0; i < 50; ++i) comm.all_reduce_sum(t);
    torch::cuda::synchronize();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(count(), 0u);
  }
  {  // a device wait of ~3 s beside a capture on another stream: the watchdog's event queries
     // (timeout 30 s: it only polls) must not break the capture
    CollectiveWatchdog dog(30, record);
    WatchedCommunicator comm(std::make_unique<SleepingCommunicator>(3 * kSecondOfCycles), &dog, cuda);
    comm.all_reduce_sum(t);
    const c10::cuda::CUDAStream stream = c10::cuda::getStreamFromPool(false, 0);
    torch::Tensor x = torch::randn({256}, torch::TensorOptions().device(cuda)), y;
    at::cuda::CUDAGraph graph;
    std::string capture_error;
    try {
      const c10::cuda::CUDAStreamGuard on_stream(stream);
      y = x * 3;
      stream.synchronize();
      graph.capture_begin();
      std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // several of the watchdog's polls
      y = x * 3;
      graph.capture_end();
    } catch (const std::exception& e) {
      capture_error = e.what();
    }
    EXPECT_TRUE(capture_error.empty()) << capture_error;
    torch::cuda::synchronize();
    EXPECT_EQ(count(), 0u);
  }
  {  // a device wait past the timeout is a hang, named with its device
    CollectiveWatchdog dog(0.5, record);
    WatchedCommunicator comm(std::make_unique<SleepingCommunicator>(4 * kSecondOfCycles), &dog, cuda);
    comm.all_reduce_sum(t);
    for (int i = 0; i < 2000 && count() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    torch::cuda::synchronize();
    ASSERT_EQ(count(), 1u);
    EXPECT_EQ(hangs[0].what, "all-reduce of 4 Float values (on cuda:0)");
  }
#endif
}

}  // namespace
}  // namespace ms
