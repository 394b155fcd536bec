// The 4-stage MetaFormer image classifier (PoolFormer layout, len(depths) stages): stem conv,
// blocks per stage, downsampling convs between stages, final norm, global average pool,
// linear head. Hybrids get a zero-initialised learned position embedding added before the first
// stage whose mixer uses heads (the attention family).
#pragma once
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "sweeps/run_config.h"
#include "worker/models/block.h"
#include "worker/models/model.h"

namespace ms {

class MetaFormerImpl : public ModelImpl {
 public:
  explicit MetaFormerImpl(const RunConfig& run);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  torch::nn::Conv2d stem_{nullptr};
  std::vector<torch::nn::Conv2d> downsamples_;        // before stages 1..S-1
  std::vector<std::vector<MetaFormerBlock>> stages_;  // also registered as ModuleLists
  int64_t pos_embed_stage_ = -1;
  torch::Tensor pos_embed_;  // 1×C×H×W of that stage
  Norm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(MetaFormer);

}  // namespace ms
