// The MetaFormer image classifier (see metaformer.h).
#include "worker/models/metaformer.h"

#include "sweeps/run_config.h"
#include "worker/mixers/registry.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {

namespace {}  // namespace

MetaFormerImpl::MetaFormerImpl(const RunConfig& run) {
  const ModelConfig& model = run.model;
  const auto& depths = model.depths;
  const auto& dims = model.dims;
  const int64_t channels = run.task.channels, classes = run.task.num_classes;  // resolved per dataset
  int64_t side = run.task.image_size;
  if (depths.empty() || depths.size() != dims.size())
    throw std::invalid_argument("model.depths and model.dims must list the same, non-zero number of stages");

  const int64_t sk = model.stem.kernel, ss = model.stem.stride, sp = model.stem.padding;
  const int64_t dk = model.downsample.kernel, ds = model.downsample.stride, dp = model.downsample.padding;
  stem_ = register_module("stem",
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, dims[0], sk).stride(ss).padding(sp)));
  side = conv_output_side(side, model.stem);

  int64_t total = 0, done = 0;
  for (auto d : depths) total += d;
  for (size_t s = 0; s < depths.size(); ++s) {
    if (s > 0) {
      downsamples_.push_back(register_module(
          "downsample" + std::to_string(s),
          torch::nn::Conv2d(torch::nn::Conv2dOptions(dims[s - 1], dims[s], dk).stride(ds).padding(dp))));
      side = conv_output_side(side, model.downsample);
    }
    if (side < 1) throw std::invalid_argument("the image shrinks to nothing before stage " + std::to_string(s + 1));
    BlockOptions options = block_options_from_config(model, s);
    options.context.height = options.context.width = side;
    if (pos_embed_stage_ < 0 && find_mixer_entry(options.mixer).traits.uses_heads) {
      pos_embed_stage_ = static_cast<int64_t>(s);
      pos_embed_ = register_parameter("pos_embed", torch::zeros({1, dims[s], side, side}));
    }
    auto list = register_module("stage" + std::to_string(s), torch::nn::ModuleList());
    stages_.emplace_back();
    for (int64_t b = 0; b < depths[s]; ++b, ++done) {
      options.drop_path = stochastic_depth_rate(model.drop_path, done, total);
      stages_.back().push_back(MetaFormerBlock(options));
      list->push_back(stages_.back().back());
    }
  }
  norm_ = register_module("norm", Norm(model.norm, dims.back()));
  head_ = register_module("head", torch::nn::Linear(dims.back(), classes));
  // Every conv and linear trunc_normal, as MetaFormer's code (metaformer_baselines.py);
  // model.init: poolformer gives the stem and downsamplings PyTorch's default back (init_weights.h).
  init_conv_linear(*stem_);
  for (auto& d : downsamples_) init_conv_linear(*d);
  init_conv_linear(*head_);
}

torch::Tensor MetaFormerImpl::forward(const torch::Tensor& input) {
  torch::Tensor x = counted::conv2d(input, stem_);
  for (size_t s = 0; s < stages_.size(); ++s) {
    if (s > 0) x = counted::conv2d(x, downsamples_[s - 1]);
    if (static_cast<int64_t>(s) == pos_embed_stage_) x = x + pos_embed_;
    for (auto& block : stages_[s]) x = block->forward(x);
  }
  return counted::linear(norm_->forward(x).mean({-2, -1}), head_);
}

}  // namespace ms
