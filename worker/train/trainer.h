// Trains one job (a resolved config and a seed) on this rank, alone or as one rank of a
// data-parallel group: datasets in memory on the device, the configured optimizer and
// schedule, per-epoch evaluation, checkpoints, divergence and timeout handling.
//
// Data parallelism: task.batch_size is the global batch. Every rank draws the same shuffled
// order, takes its contiguous share of each global batch, and scales its summed loss by the
// global example count, so the all-reduced (summed) gradient equals single-rank training at
// the same batch. BatchNorm is not synchronised (as PyTorch DDP without SyncBatchNorm): in
// training each rank normalises with its own shard's batch statistics, so BatchNorm models match
// single-rank training only approximately; before each evaluation rank 0's running statistics
// are copied to every rank (DDP's broadcast_buffers), so the group evaluates the model the
// checkpoint saves; every other model matches up to
// floating-point reduction order. Stochastic depth draws per rank (seeded from seed, epoch
// and rank), so exact equivalence also needs model.drop_path 0.
#pragma once
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "sweeps/metrics.h"
#include "worker/dist/communicator.h"
#include "worker/models/model.h"

namespace ms {

class CollectiveWatchdog;

// Thrown by train_job when a job runs past TrainOptions::timeout_s (on every rank of the group).
struct JobTimeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TrainOptions {
  torch::Device device = torch::kCPU;
  Communicator* comm = nullptr;                       // null: a single rank
  std::string checkpoint_path;                        // empty: no checkpoints; else resume from it when present
  double timeout_s = 0;                               // 0: none
  std::function<void(const EpochMetrics&)> on_epoch;  // group rank 0, after each epoch (reduced metrics)
  bool verbose = false;                               // a progress line per epoch on stderr (group rank 0)
  int threads = 0;                                    // LibTorch intra-op threads; 0: leave as is
  // CUDA graphs for the forward + loss + backward of full-size batches (cuda_graph_step.h):
  // "auto" (on CUDA, for models under kGraphAutoMaxParams trainable parameters), "on" (every
  // model on CUDA; ignored on CPU, which has no graphs) or "off".
  std::string cuda_graphs = "auto";
  // Times the GPU's training steps and evaluation batches (worker/dist/device_watch.h), so that a
  // GPU that stops ends the run after the watchdog's timeout; null, or on the CPU: not watched.
  CollectiveWatchdog* watchdog = nullptr;
};

struct TrainOutcome {
  JobStatus status = JobStatus::Done;  // Done or Diverged
  std::vector<EpochMetrics> epochs;    // every finished epoch, restored ones included
  std::string message;                 // why it diverged, checkpoint problems found, ...
  int64_t resumed_from_epoch = 0;      // epochs restored from a checkpoint (0: fresh start)
  int64_t diverged_epoch = 0;          // the epoch whose loss became NaN/inf (0: none)
  bool cuda_graphs = false;            // the training steps ran as a replayed CUDA graph
};

using ModelFactory = std::function<std::shared_ptr<ModelImpl>(const nlohmann::json& config)>;

// Builds the model with build_model() (after torch::manual_seed(seed)) and trains it.
TrainOutcome train_job(const nlohmann::json& config, int64_t seed, const TrainOptions& options);
// The same with another model builder (tests, benchmarks).
TrainOutcome train_model(const nlohmann::json& config, int64_t seed, const TrainOptions& options,
                         const ModelFactory& factory);

}  // namespace ms
