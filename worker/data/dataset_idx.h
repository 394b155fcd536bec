// IDX files (the MNIST / Fashion-MNIST format), gzipped or not, parsed into tensors.
#pragma once
#include <string>

#include <torch/torch.h>

#include "worker/data/loaders.h"

namespace ms {

// IDX3 ubyte images (magic 0x00000803) -> N×1×H×W uint8.
torch::Tensor read_idx_images(const std::string& path);
// IDX1 ubyte labels (magic 0x00000801) -> N int64.
torch::Tensor read_idx_labels(const std::string& path);

// `dir/stem` with ".gz" if that file exists, else `dir/stem`; throws naming both when neither does.
std::string find_data_file(const std::string& dir, const std::string& stem);

}  // namespace ms
