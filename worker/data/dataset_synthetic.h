// Generated datasets: learnable synthetic images (benchmarks, planning at any resolution), the
// Key-Value Transformer sequence tasks (reverse, sort, swap, sub, copy) and charlm windows.
// All are deterministic functions of their arguments (seeded generators, no global RNG).
#pragma once
#include <string>

#include <torch/torch.h>

#include "worker/data/loaders.h"

namespace ms {

// Images of `channels`×`size`×`size`: a per-class smooth random pattern plus Gaussian noise, so
// a model can learn the classes. Labels are balanced (i mod classes, then shuffled). Float.
using SyntheticImages = DatasetSplits;
SyntheticImages make_synthetic_images(int64_t size, int64_t channels, int64_t classes, int64_t train_n, int64_t test_n,
                                      int64_t seed);

// Targets of one Key-Value Transformer task for token sequences x (N×L int64 in [0, vocab)).
torch::Tensor sequence_task_targets(const std::string& task, const torch::Tensor& x, int64_t vocab);
// n uniform random sequences of length `len` over `vocab` symbols and their targets.
ImageSplit make_sequence_task(const std::string& task, int64_t n, int64_t len, int64_t vocab, uint64_t seed);

// Next-byte prediction windows over a text file: x = bytes[i*L, i*L+L), y = bytes shifted by
// one. The last tenth of the windows (at least one) is the test split.
using CharLmSplits = DatasetSplits;
CharLmSplits make_charlm(const std::string& text_file, int64_t len);

}  // namespace ms
