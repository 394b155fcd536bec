// Model costs from formulas (see model_formula.h).
#include "worker/models/model_formula.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "sweeps/datasets.h"
#include "sweeps/run_config.h"
#include "worker/mixers/registry.h"
#include "worker/models/activations.h"
#include "worker/models/block.h"
#include "worker/models/norms.h"
#include "worker/models/sequence_model.h"

namespace ms {

namespace {

// One block on a grid of `tokens` positions: norms, mixer, layer scales, channel MLP.
void add_block(const BlockOptions& o, ModelCost& cost) {
  const int64_t c = o.context.dim, n = o.context.tokens();
  // The largest terms (N²·C of token-matrix mixers, N·C·hidden of the MLP) must fit in 64 bits.
  const double wide = static_cast<double>(n) * static_cast<double>(c) *
                      std::max(static_cast<double>(n), static_cast<double>(c) * std::max(1.0, o.mlp_ratio) * 2);
  if (wide > 1e18)
    throw std::invalid_argument("model too large to count: a block of " + std::to_string(n) + " tokens x " +
                                std::to_string(c) + " channels");
  const bool gmlp = o.form == "gmlp";  // gMLP's block: its unit in the mixer's place, no channel MLP
  const MixerCost mixer =
      gmlp ? gmlp_block_unit_cost(o.context, gmlp_d_ffn(o), o.activation) : find_mixer_entry(o.mixer).cost(o.context);
  cost.params += norm_param_count(o.norm, c) + mixer.params + (o.layer_scale > 0 ? c : 0);
  cost.frozen_params += mixer.frozen;
  cost.macs += mixer.macs;
  // fp32 activations: scores, softmax and their product for an attention-family mixer (N² per
  // head), else a few N x C tensors.
  const double tokens = static_cast<double>(n), channels = static_cast<double>(c);
  const double scores = !gmlp && find_mixer_entry(o.mixer).traits.uses_heads
                            ? 3 * tokens * tokens * static_cast<double>(std::max<int64_t>(1, o.context.heads)) * 4
                            : 0;
  cost.activation_bytes = std::max({cost.activation_bytes, scores, 4 * tokens * channels * 4});
  if (!o.channel_mlp || gmlp) return;
  const int64_t hidden = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(c) * o.mlp_ratio));
  cost.activation_bytes = std::max(cost.activation_bytes, 2 * tokens * static_cast<double>(hidden) * 4);
  const int64_t activation = activation_param_count(o.activation);
  cost.params += norm_param_count(o.norm, c) + 2 * c * hidden + hidden + c + activation + (o.layer_scale > 0 ? c : 0);
  cost.macs += 2 * n * c * hidden;
}

ModelCost metaformer_cost(const RunConfig& run) {
  const ModelConfig& model = run.model;
  const auto& depths = model.depths;
  const auto& dims = model.dims;
  if (depths.empty() || depths.size() != dims.size())
    throw std::invalid_argument("model.depths and model.dims must list the same, non-zero number of stages");
  const int64_t channels = run.task.channels, classes = run.task.num_classes;
  const int64_t sk = model.stem.kernel, dk = model.downsample.kernel;

  ModelCost cost;
  int64_t side = conv_output_side(run.task.image_size, model.stem);
  cost.params += channels * dims[0] * sk * sk + dims[0];
  cost.macs += side * side * dims[0] * channels * sk * sk;
  bool pos_embed = false;
  for (size_t s = 0; s < depths.size(); ++s) {
    if (s > 0) {
      side = conv_output_side(side, model.downsample);
      cost.params += dims[s - 1] * dims[s] * dk * dk + dims[s];
      cost.macs += side * side * dims[s] * dims[s - 1] * dk * dk;
    }
    if (side < 1) throw std::invalid_argument("the image shrinks to nothing before stage " + std::to_string(s + 1));
    BlockOptions options = block_options_from_config(model, s);
    options.context.height = options.context.width = side;
    if (!pos_embed && find_mixer_entry(options.mixer).traits.uses_heads) {
      pos_embed = true;  // before the first attention-family stage, as the model adds it
      cost.params += dims[s] * side * side;
    }
    for (int64_t b = 0; b < depths[s]; ++b) add_block(options, cost);
  }
  cost.params += norm_param_count(model.norm, dims.back()) + dims.back() * classes + classes;
  cost.macs += dims.back() * classes;
  return cost;
}

ModelCost sequence_cost(const RunConfig& run) {
  const ModelConfig& model = run.model;
  const bool causal = dataset_info(run.task.dataset).causal;
  const int64_t vocab = sequence_vocab(run.task);
  const int64_t length = run.task.seq_len;
  const auto& depths = model.depths;
  const auto& dims = model.dims;
  if (depths.size() != 1 || dims.size() != 1)
    throw std::invalid_argument("model.arch sequence is isotropic: give one stage, e.g. depths: [4], dims: [128]");
  const int64_t dim = dims[0];

  ModelCost cost;
  cost.params += vocab * dim;
  if (model.positions == "learned") cost.params += length * dim;
  BlockOptions options = block_options_from_config(model, 0);
  options.context.height = 1;
  options.context.width = length;
  options.context.causal = causal;
  for (int64_t b = 0; b < depths[0]; ++b) add_block(options, cost);
  if (!options.post_norm) cost.params += norm_param_count(options.norm, dim);
  // Any mixer's L x L bound per head (as for attention): a long sequence is counted, not measured.
  const double l = static_cast<double>(length);
  double heads = 1;
  for (const int64_t h : model.heads) heads = std::max(heads, static_cast<double>(h));
  cost.activation_bytes = std::max(cost.activation_bytes, 3 * l * l * heads * 4);
  cost.params += dim * vocab + vocab;
  cost.macs += length * dim * vocab;
  return cost;
}

}  // namespace

ModelCost formula_cost(const nlohmann::json& config) {
  const RunConfig run = run_config(config);
  const std::string& arch = run.model.arch;
  if (arch == "metaformer") return metaformer_cost(run);
  if (arch == "sequence") return sequence_cost(run);
  throw std::invalid_argument("unknown model.arch '" + arch + "': expected metaformer or sequence");
}

}  // namespace ms
