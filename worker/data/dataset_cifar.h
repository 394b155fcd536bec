// CIFAR-10 binary batches (data_batch_1..5.bin, test_batch.bin: records of 1 label byte +
// 3072 pixel bytes, channel-major 32×32) and the training-time augmentation used with them.
#pragma once
#include <string>

#include <torch/torch.h>

#include "worker/data/loaders.h"

namespace ms {

ImageSplit read_cifar10_train(const std::string& dir);
ImageSplit read_cifar10_test(const std::string& dir);

// Random crop with padding `pad` and horizontal flip, per example. `offsets` is B×2 int64
// in [0, 2*pad] (row, col) and `flips` B bool, both on x's device, so the randomness can be
// drawn for a whole global batch and sliced per rank. The padding is `fill` (C×1×1, per channel;
// undefined: 0). torchvision's RandomCrop(32, padding=4) pads black before normalising, so for
// normalised images `fill` is the normalised value of a black pixel (Dataset::pad_value).
torch::Tensor crop_and_flip(const torch::Tensor& x, const torch::Tensor& offsets, const torch::Tensor& flips,
                            int64_t pad, const torch::Tensor& fill = {});

}  // namespace ms
