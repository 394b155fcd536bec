// The isotropic sequence encoder (model.arch = sequence): token embedding, positions
// (sinusoidal fixed / learned / none), depths[0] MetaFormer blocks of width dims[0] in the
// B×C×1×L layout (so every token mixer is reused), final norm (pre-norm only), per-token linear
// classifier. Input B×L int64 (L = task.seq_len: masks and fixed-token mixers are sized by it), output B×L×vocab.
// Causal (task charlm): every mixer is built in its causal form, vocabulary 256 bytes.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "sweeps/run_config.h"
#include "worker/models/block.h"
#include "worker/models/model.h"

namespace ms {

// L×C fixed sinusoidal positions (Vaswani et al.): sin on even channels, cos on odd.
torch::Tensor sinusoidal_positions(int64_t length, int64_t dim);

class SequenceModelImpl : public ModelImpl {
 public:
  explicit SequenceModelImpl(const RunConfig& run);
  torch::Tensor forward(const torch::Tensor& tokens) override;
  int64_t vocab() const { return vocab_; }

 private:
  int64_t vocab_, seq_len_;
  bool post_norm_;
  torch::nn::Embedding embed_{nullptr};
  torch::Tensor positions_;  // seq_len×C: buffer (sinusoidal) or parameter (learned); undefined for none
  std::vector<MetaFormerBlock> blocks_;
  Norm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(SequenceModel);

}  // namespace ms
