// How a training rank is set up (device, threads, CUDA graphs): filled by `run` and `train` and
// read by training_rank.h. No LibTorch here, so the CLI's run command compiles without it.
#pragma once
#include <string>

namespace ms {

struct WorkerSettings {
  std::string device = "auto";       // auto | cpu | cuda
  int local_rank = 0;                // picks the GPU on CUDA
  int threads = 0;                   // LibTorch intra-op threads (0: leave as is)
  bool verbose = false;              // per-epoch lines from the trainer
  std::string cuda_graphs = "auto";  // auto | on | off (TrainOptions::cuda_graphs)
};

}  // namespace ms
