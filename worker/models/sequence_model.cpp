// The isotropic sequence encoder (see sequence_model.h).
#include "worker/models/sequence_model.h"

#include <cmath>

#include "sweeps/datasets.h"
#include "sweeps/run_config.h"
#include "worker/models/init_weights.h"
#include "worker/models/mac_counter.h"

namespace ms {

torch::Tensor sinusoidal_positions(int64_t length, int64_t dim) {
  auto pos = torch::arange(length, torch::kFloat).unsqueeze(1);
  auto i = torch::arange(dim, torch::kLong);
  auto freq = torch::exp(i.div(2, "floor").to(torch::kFloat) * (-2.0 * std::log(10000.0) / static_cast<double>(dim)));
  auto angle = pos * freq.unsqueeze(0);
  return torch::where(i.remainder(2).eq(0).unsqueeze(0), torch::sin(angle), torch::cos(angle));
}

SequenceModelImpl::SequenceModelImpl(const RunConfig& run) {
  const ModelConfig& model = run.model;
  const bool causal = dataset_info(run.task.dataset).causal;
  vocab_ = sequence_vocab(run.task);
  seq_len_ = run.task.seq_len;
  const auto& depths = model.depths;
  const auto& dims = model.dims;
  if (depths.size() != 1 || dims.size() != 1)
    throw std::invalid_argument("model.arch sequence is isotropic: give one stage, e.g. depths: [4], dims: [128]");
  const int64_t dim = dims[0];

  embed_ = register_module("embed", torch::nn::Embedding(vocab_, dim));
  const std::string& positions = model.positions;
  if (positions == "sinusoidal") {
    positions_ = register_buffer("positions", sinusoidal_positions(seq_len_, dim));
  } else if (positions == "learned") {
    positions_ = register_parameter("positions", torch::empty({seq_len_, dim}));
    trunc_normal_(positions_);
  } else if (positions != "none") {
    throw std::invalid_argument("unknown model.positions '" + positions + "': expected sinusoidal, learned or none");
  }

  BlockOptions options = block_options_from_config(model, 0);
  options.context.height = 1;
  options.context.width = seq_len_;
  options.context.causal = causal;
  post_norm_ = options.post_norm;
  auto list = register_module("blocks", torch::nn::ModuleList());
  for (int64_t b = 0; b < depths[0]; ++b) {
    options.drop_path = stochastic_depth_rate(model.drop_path, b, depths[0]);
    blocks_.push_back(MetaFormerBlock(options));
    list->push_back(blocks_.back());
  }
  if (!post_norm_) norm_ = register_module("norm", Norm(options.norm, dim));
  head_ = register_module("head", torch::nn::Linear(dim, vocab_));
  init_conv_linear(*head_);
}

torch::Tensor SequenceModelImpl::forward(const torch::Tensor& tokens) {
  const int64_t length = tokens.size(1);
  TORCH_CHECK(length == seq_len_, "sequence of length ", length, " given to a model built for task.seq_len ", seq_len_);
  torch::Tensor x = embed_->forward(tokens);  // B×L×C
  if (positions_.defined()) x = x + positions_;
  x = x.transpose(1, 2).unsqueeze(2);  // B×C×1×L
  for (auto& block : blocks_) x = block->forward(x);
  if (norm_) x = norm_->forward(x);
  return counted::linear(x.squeeze(2).transpose(1, 2), head_);
}

}  // namespace ms
