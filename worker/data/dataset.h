// In-memory datasets for one job: every dataset of DESIGN.md §4 (`task.dataset`) loaded or
// generated once into tensors, normalised, subset, and moved onto the training device.
#pragma once
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "sweeps/run_config.h"

namespace ms {

struct Dataset {
  std::string name;
  bool sequence = false;  // true: x is B×L int64 tokens and y is B×L int64 targets
  bool augment = false;   // true: random crop (pad 4) + horizontal flip while training (cifar10)
  torch::Tensor train_x, train_y, test_x, test_y;  // images: N×C×H×W float (normalised), y N int64
  torch::Tensor pad_value;  // images: C×1×1, the normalised value of a black pixel (crop padding)

  int64_t train_size() const { return train_x.size(0); }
  int64_t test_size() const { return test_x.size(0); }
  void to(const torch::Device& device);  // moves all four tensors (once, before training)
};

// Loads (or generates, deterministically from `seed`) the dataset a resolved config's `task`
// object names, applies train_subset/test_subset (first N) and per-channel normalisation with
// the training set's statistics. Throws std::runtime_error naming the file for bad data.
Dataset load_dataset(const TaskConfig& task, int64_t seed);

// Per-channel normalisation in place: x = (x - mean) / std with mean/std of `train` (N×C×H×W).
// Returns what a 0 pixel becomes, -mean/std (C×1×1).
torch::Tensor normalise_images(torch::Tensor& train, torch::Tensor& test);

}  // namespace ms
