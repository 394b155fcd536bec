// How a training rank is set up (device, threads, CUDA graphs): filled by `run` and `train` and
// read by training_rank.h. No LibTorch here, so the CLI's run command compiles without it.
#pragma once
#include <string>

namespace ms {

// Ten minutes, as PyTorch's NCCL process groups: far above a step's or a checkpoint's time.
constexpr double kDefaultHangTimeoutS = 600;

// Where a worker that ends the run because of its job records why, for the coordinator's next
// run: beside the job's checkpoint (`<dir>/<id>.ckpt.hung`, removed with its checkpoints). One
// line: kHungRecordPrefix and the message of a hang (its watchdog fired), or, for a GPU or
// communicator that failed while
// the job's other ranks waited in a collective, kLostRecordPrefix and its message (a fault not the
// job's own: a loss, free once) or kFailedRecordPrefix and its message (the job's own kernel
// faulted: final, as when the coordinator hears of it).
inline std::string hang_record_path(const std::string& checkpoint) { return checkpoint + ".hung"; }
inline constexpr const char* kHungRecordPrefix = "hung: ";
inline constexpr const char* kLostRecordPrefix = "lost: ";
inline constexpr const char* kFailedRecordPrefix = "failed: ";

struct WorkerSettings {
  std::string device = "auto";  // auto | cpu | cuda
  // This rank's index among the ranks that train on its node (a coordinator there not counted),
  // which picks its GPU (index mod GPUs), and how many ranks train on the node.
  int local_rank = 0;
  int local_trainers = 1;
  std::string host;                  // this node's name, for messages
  int threads = 0;                   // LibTorch intra-op threads (0: leave as is)
  bool verbose = false;              // per-epoch lines from the trainer
  std::string cuda_graphs = "auto";  // auto | on | off (TrainOptions::cuda_graphs)
  // How long a rank waits for a partner of its group in a collective, or for its GPU to finish a
  // training step, before it ends the run as hung (worker/dist/collective_watchdog.h); 0: for ever.
  double hang_timeout_s = kDefaultHangTimeoutS;
};

}  // namespace ms
