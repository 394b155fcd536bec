// The token-mixer interface. A mixer maps B×C×H×W to B×C×H×W, mixing information across the
// H·W token positions (sequences use H = 1, W = L). Built once per block from a MixerContext;
// anything that depends only on the geometry (masks, position tables) is precomputed then.
#pragma once
#include <cstdint>

#include <torch/torch.h>

namespace ms {

struct MixerContext {
  int64_t dim = 0;              // channels C
  int64_t heads = 1;            // attention heads (uses_heads mixers)
  int64_t head_dim = 0;         // dim / heads
  int64_t pool_size = 3;        // pooling / depthwise kernel
  int64_t height = 1;           // token grid; sequences: 1
  int64_t width = 1;            // token grid; sequences: L
  bool causal = false;          // token i may only see tokens j <= i (sequence layout, charlm)
  bool fused_attention = true;  // attention family: use fused SDPA where LibTorch has it (2.x)

  int64_t tokens() const { return height * width; }
  bool sequence() const { return height == 1; }  // 1-D kernels instead of k×k
};

// What one mixer of a geometry holds and costs, from its formula, with no weight allocated:
// trainable and frozen parameters, and the MACs of one example's forward counted as the
// counted:: wrappers count them. Each mixer file gives one beside its factory; the formula test
// (tests/worker/models/model_formula_test.cpp) holds every one equal to the built module's count.
struct MixerCost {
  int64_t params = 0;
  int64_t frozen = 0;
  int64_t macs = 0;
};

class MixerImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

}  // namespace ms
