// The MetaFormer block shared by the 4-stage image model and the isotropic sequence model:
//   pre-norm:  x = x + DropPath(ls1 · Mixer(Norm1(x)));  x = x + DropPath(ls2 · Mlp(Norm2(x)))
//   post-norm: x = Norm1(x + DropPath(ls1 · Mixer(x)));  x = Norm2(x + DropPath(ls2 · Mlp(x)))
// with per-channel layer scale (off when layer_scale = 0), the channel MLP as 1×1 convs
// C → mlp_ratio·C → C, and the ablation switches residual = false / channel_mlp = false.
// model.block gmlp makes it gMLP's block: one branch, x + DropPath(ls1 · Unit(Norm1(x))) with
// Unit = Proj(SGU(act(Linear C → mlp_ratio·C))) (worker/mixers/gmlp.cpp) and no channel MLP.
#pragma once
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "sweeps/run_config.h"
#include "worker/mixers/mixer.h"
#include "worker/models/activations.h"
#include "worker/models/norms.h"

namespace ms {

struct BlockOptions {
  std::string form = "metaformer";  // model.block: metaformer, or gmlp (gMLP's block, see gmlp.cpp)
  std::string mixer = "pool";
  MixerContext context;
  std::string norm = "group1";
  std::string activation = "gelu";
  double mlp_ratio = 4.0;
  double layer_scale = 1e-5;  // 0 = no layer scale
  double drop_path = 0.0;     // this block's stochastic-depth rate
  bool residual = true;
  bool channel_mlp = true;
  bool post_norm = false;
};

// The block options the resolved model config gives stage `stage` (mixer, norm, activation, MLP,
// layer scale, ablation switches, mixer width and heads); geometry, causality and the per-block
// drop-path rate are the model's to fill in.
BlockOptions block_options_from_config(const ModelConfig& model, size_t stage);

// The width gMLP's block expands to (model.block: gmlp): mlp_ratio · dim.
int64_t gmlp_d_ffn(const BlockOptions& options);

// Stochastic depth: zeroes whole examples with probability p while training, rescales the rest.
torch::Tensor drop_path(const torch::Tensor& x, double p, bool training);

// The rate of block `index` (0-based, counted over all stages) of `total`: linear from 0 at the
// first block to `max_rate` at the last, as timm's torch.linspace(0, drop_path_rate, sum(depths)).
double stochastic_depth_rate(double max_rate, int64_t index, int64_t total);

class ChannelMlpImpl : public torch::nn::Module {
 public:
  ChannelMlpImpl(int64_t dim, int64_t hidden, const std::string& activation);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d fc1_{nullptr}, fc2_{nullptr};
  Activation act_{nullptr};
};
TORCH_MODULE(ChannelMlp);

class MetaFormerBlockImpl : public torch::nn::Module {
 public:
  explicit MetaFormerBlockImpl(const BlockOptions& options);
  torch::Tensor forward(torch::Tensor x);
  double drop_path_rate() const { return options_.drop_path; }

 private:
  torch::Tensor branch(const torch::Tensor& y, const torch::Tensor& scale) const;
  // x + branch(y, scale), fused into one addcmul when layer scale is on and drop path is idle.
  torch::Tensor residual_add(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& scale) const;

  BlockOptions options_;
  Norm norm1_{nullptr}, norm2_{nullptr};
  std::shared_ptr<MixerImpl> mixer_;
  ChannelMlp mlp_{nullptr};
  torch::Tensor ls1_, ls2_;  // C×1×1, undefined without layer scale
};
TORCH_MODULE(MetaFormerBlock);

}  // namespace ms
