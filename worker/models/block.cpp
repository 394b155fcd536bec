// The MetaFormer block (see block.h).
#include "worker/models/block.h"

#include "worker/mixers/registry.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {

BlockOptions block_options_from_config(const ModelConfig& model, size_t stage) {
  BlockOptions o;
  o.form = model.block;
  o.mixer = model.mixers.at(stage);
  o.norm = model.norm;
  o.activation = model.activation;
  o.mlp_ratio = model.mlp_ratio;
  o.layer_scale = model.layer_scale;
  o.residual = model.residual;
  o.channel_mlp = model.channel_mlp;
  o.post_norm = model.norm_position == "post";
  const int64_t dim = model.dims.at(stage);
  o.context.dim = dim;
  o.context.heads = model.heads.at(stage);  // resolved: "auto" became dim / head_dim there
  // Only mixers that split channels into heads need dim divisible by heads (the registry's
  // uses_heads, the same rule as sweeps/resolve.cpp); the others never read heads or head_dim.
  const bool uses_heads = find_mixer_entry(o.mixer).traits.uses_heads;
  if (o.context.heads < 1 || (uses_heads && dim % o.context.heads != 0))
    throw std::invalid_argument("stage " + std::to_string(stage + 1) + ": dim " + std::to_string(dim) +
                                " is not divisible into " + std::to_string(o.context.heads) + " heads");
  o.context.head_dim = dim / o.context.heads;
  o.context.pool_size = model.pool_size;
  return o;
}

int64_t gmlp_d_ffn(const BlockOptions& options) {
  return static_cast<int64_t>(static_cast<double>(options.context.dim) * options.mlp_ratio);
}

double stochastic_depth_rate(double max_rate, int64_t index, int64_t total) {
  return total > 1 ? max_rate * static_cast<double>(index) / static_cast<double>(total - 1) : 0.0;
}

torch::Tensor drop_path(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  const double keep = 1.0 - p;
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  return x * torch::empty(shape, x.options()).bernoulli_(keep).div_(keep);
}

ChannelMlpImpl::ChannelMlpImpl(int64_t dim, int64_t hidden, const std::string& activation) {
  fc1_ = register_module("fc1", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, hidden, 1)));
  act_ = register_module("act", Activation(activation));
  fc2_ = register_module("fc2", torch::nn::Conv2d(torch::nn::Conv2dOptions(hidden, dim, 1)));
  init_conv_linear(*this);
}

torch::Tensor ChannelMlpImpl::forward(const torch::Tensor& x) {
  return counted::conv2d(act_->forward(counted::conv2d(x, fc1_)), fc2_);
}

MetaFormerBlockImpl::MetaFormerBlockImpl(const BlockOptions& options) : options_(options) {
  const int64_t dim = options.context.dim;
  norm1_ = register_module("norm1", Norm(options.norm, dim));
  const bool gmlp = options.form == "gmlp";  // gMLP's block: one branch, the unit in the mixer's place
  mixer_ =
      register_module("mixer", gmlp ? make_gmlp_block_unit(options.context, gmlp_d_ffn(options), options.activation)
                                    : make_mixer(options.mixer, options.context));
  if (options.layer_scale > 0) ls1_ = register_parameter("ls1", torch::full({dim, 1, 1}, options.layer_scale));
  if (options.channel_mlp && !gmlp) {
    norm2_ = register_module("norm2", Norm(options.norm, dim));
    const auto hidden = static_cast<int64_t>(static_cast<double>(dim) * options.mlp_ratio);
    mlp_ = register_module("mlp", ChannelMlp(dim, std::max<int64_t>(1, hidden), options.activation));
    if (options.layer_scale > 0) ls2_ = register_parameter("ls2", torch::full({dim, 1, 1}, options.layer_scale));
  }
}

torch::Tensor MetaFormerBlockImpl::branch(const torch::Tensor& y, const torch::Tensor& scale) const {
  return drop_path(scale.defined() ? y * scale : y, options_.drop_path, is_training());
}

torch::Tensor MetaFormerBlockImpl::residual_add(const torch::Tensor& x, const torch::Tensor& y,
                                                const torch::Tensor& scale) const {
  // x + y·scale in one pass (addcmul rounds the product, then the sum: the same bits as the
  // two-op form) whenever stochastic depth is not drawing and no dtype promotion is needed
  // (bf16 autocast hands back bf16 branches next to a float residual).
  const bool same_type =
      scale.defined() && x.scalar_type() == y.scalar_type() && y.scalar_type() == scale.scalar_type();
  if (same_type && (options_.drop_path <= 0 || !is_training())) return torch::addcmul(x, y, scale);
  return x + branch(y, scale);
}

torch::Tensor MetaFormerBlockImpl::forward(torch::Tensor x) {
  const bool res = options_.residual;
  auto combine = [&](const torch::Tensor& input, const torch::Tensor& y, const torch::Tensor& scale) {
    return res ? residual_add(input, y, scale) : branch(y, scale);
  };
  if (options_.post_norm) {
    x = norm1_->forward(combine(x, mixer_->forward(x), ls1_));
    if (mlp_) x = norm2_->forward(combine(x, mlp_->forward(x), ls2_));
    return x;
  }
  x = combine(x, mixer_->forward(norm1_->forward(x)), ls1_);
  if (mlp_) x = combine(x, mlp_->forward(norm2_->forward(x)), ls2_);
  return x;
}

}  // namespace ms
