// Per-epoch training checkpoints: model parameters and buffers, optimizer state, epoch and
// metrics so far, in a framed file (magic, length, FNV-1a checksum) written atomically
// (temp file, fsync, rename). The previous checkpoint is kept as PATH.prev, and loading falls
// back to it when the newest one is truncated or corrupt: garbage is never loaded.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "sweeps/metrics.h"

namespace ms {

struct CheckpointState {
  int64_t epoch = 0;                 // epochs completed
  std::vector<EpochMetrics> epochs;  // their metrics
  std::string job_key;               // identifies the job (config + seed): resuming another job is refused
};

// Model + optimizer + state <-> bytes (a LibTorch archive).
std::string encode_checkpoint(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                              const CheckpointState& state);
// Restores into an already-built model and optimizer (same architecture); tensors are placed
// on the model's device. Throws std::runtime_error when the archive does not fit the model.
CheckpointState decode_checkpoint(const std::string& bytes, torch::nn::Module& model,
                                  torch::optim::Optimizer& optimizer);

// Writes PATH.tmp, fsyncs it, renames an existing PATH to PATH.prev, renames PATH.tmp to
// PATH and fsyncs the directory. Throws naming the path on I/O errors.
void write_checkpoint_file(const std::string& path, const std::string& payload);

// The payload of the newest intact checkpoint (PATH, else PATH.prev), or nullopt when there
// is none. Each damaged file found is described in `problems` (path and what is wrong).
std::optional<std::string> read_checkpoint_file(const std::string& path, std::vector<std::string>* problems);

}  // namespace ms
