// Reading the resolved config into types (see run_config.h).
#include "sweeps/run_config.h"

#include <stdexcept>

#include "sweeps/config_schema.h"

namespace ms {

namespace {

using nlohmann::json;

// The value at a dotted key; a later key's default when an older config lacks it.
const json& at(const json& config, const std::string& dotted) {
  const json* node = &config;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    auto it = node->is_object() ? node->find(part) : node->end();
    if (!node->is_object() || it == node->end()) {
      const KeySpec* spec = find_key_spec(dotted);
      if (spec && spec->since >= 1) return spec->default_value;
      throw std::invalid_argument("config lacks " + dotted + " (not resolved by this metasweep?)");
    }
    node = &*it;
    if (dot == std::string::npos) return *node;
    start = dot + 1;
  }
}

template <typename T>
T get(const json& config, const std::string& dotted) {
  const json& v = at(config, dotted);
  try {
    return v.get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument("config key " + dotted + " has the wrong type: " + v.dump());
  }
}

ConvConfig conv(const json& config, const std::string& prefix) {
  return {get<int64_t>(config, prefix + ".kernel"), get<int64_t>(config, prefix + ".stride"),
          get<int64_t>(config, prefix + ".padding")};
}

}  // namespace

RunConfig run_config(const json& c) {
  RunConfig r;
  TaskConfig& t = r.task;
  t.dataset = get<std::string>(c, "task.dataset");
  t.data_dir = get<std::string>(c, "task.data_dir");
  t.text_file = get<std::string>(c, "task.text_file");
  t.precision = get<std::string>(c, "task.precision");
  t.train_shards = get<std::string>(c, "task.train_shards");
  t.val_shards = get<std::string>(c, "task.val_shards");
  t.on_corrupt = get<std::string>(c, "task.on_corrupt");
  t.augment.scale_min = get<double>(c, "task.augment.scale_min");
  t.augment.scale_max = get<double>(c, "task.augment.scale_max");
  t.augment.ratio_min = get<double>(c, "task.augment.ratio_min");
  t.augment.ratio_max = get<double>(c, "task.augment.ratio_max");
  t.augment.hflip = get<double>(c, "task.augment.hflip");
  t.augment.erasing = get<double>(c, "task.augment.erasing");
  t.augment.eval_crop_pct = get<double>(c, "task.augment.eval_crop_pct");
  t.augment.interpolation = get<std::string>(c, "task.augment.interpolation");
  t.augment.normalize = get<std::string>(c, "task.augment.normalize");
  t.augment.rand_augment = get<std::string>(c, "task.augment.rand_augment");
  t.augment.mixup = get<double>(c, "task.augment.mixup");
  t.augment.cutmix = get<double>(c, "task.augment.cutmix");
  t.augment.mix_prob = get<double>(c, "task.augment.mix_prob");
  t.augment.mix_switch = get<double>(c, "task.augment.mix_switch");
  t.augment.jpeg_scaled_decode = get<bool>(c, "task.augment.jpeg_scaled_decode");
  t.train_subset = get<int64_t>(c, "task.train_subset");
  t.test_subset = get<int64_t>(c, "task.test_subset");
  t.train_size = get<int64_t>(c, "task.train_size");
  t.test_size = get<int64_t>(c, "task.test_size");
  t.image_size = get<int64_t>(c, "task.image_size");
  t.channels = get<int64_t>(c, "task.channels");
  t.num_classes = get<int64_t>(c, "task.num_classes");
  t.seq_len = get<int64_t>(c, "task.seq_len");
  t.vocab = get<int64_t>(c, "task.vocab");
  t.epochs = get<int64_t>(c, "task.epochs");
  t.batch_size = get<int64_t>(c, "task.batch_size");
  t.optimizer.name = get<std::string>(c, "task.optimizer.name");
  t.optimizer.lr = get<double>(c, "task.optimizer.lr");
  t.optimizer.weight_decay = get<double>(c, "task.optimizer.weight_decay");
  t.optimizer.momentum = get<double>(c, "task.optimizer.momentum");
  t.optimizer.nesterov = get<bool>(c, "task.optimizer.nesterov");
  t.optimizer.beta1 = get<double>(c, "task.optimizer.beta1");
  t.optimizer.beta2 = get<double>(c, "task.optimizer.beta2");
  t.schedule.name = get<std::string>(c, "task.schedule.name");
  t.schedule.warmup_epochs = get<double>(c, "task.schedule.warmup_epochs");
  t.schedule.min_lr = get<double>(c, "task.schedule.min_lr");
  t.schedule.style = get<std::string>(c, "task.schedule.style");
  t.schedule.warmup_lr = get<double>(c, "task.schedule.warmup_lr");
  t.label_smoothing = get<double>(c, "task.label_smoothing");
  t.grad_clip = get<double>(c, "task.grad_clip");

  ModelConfig& m = r.model;
  m.arch = get<std::string>(c, "model.arch");
  m.depths = get<std::vector<int64_t>>(c, "model.depths");
  m.dims = get<std::vector<int64_t>>(c, "model.dims");
  m.mixers = get<std::vector<std::string>>(c, "model.mixers");
  m.heads = get<std::vector<int64_t>>(c, "model.heads");
  m.pool_size = get<int64_t>(c, "model.pool_size");
  m.norm = get<std::string>(c, "model.norm");
  m.activation = get<std::string>(c, "model.activation");
  m.head_dim = get<int64_t>(c, "model.head_dim");
  m.mlp_ratio = get<double>(c, "model.mlp_ratio");
  m.layer_scale = get<double>(c, "model.layer_scale");
  m.drop_path = get<double>(c, "model.drop_path");
  m.residual = get<bool>(c, "model.residual");
  m.channel_mlp = get<bool>(c, "model.channel_mlp");
  m.stem = conv(c, "model.stem");
  m.downsample = conv(c, "model.downsample");
  m.norm_position = get<std::string>(c, "model.norm_position");
  m.positions = get<std::string>(c, "model.positions");
  m.init = get<std::string>(c, "model.init");
  m.block = get<std::string>(c, "model.block");
  if (m.mixers.size() != m.dims.size() || m.heads.size() != m.dims.size())
    throw std::invalid_argument("config: model.mixers and model.heads need one entry per stage of model.dims");
  return r;
}

int64_t conv_output_side(int64_t side, const ConvConfig& conv) {
  const int64_t padded = side + 2 * conv.padding;
  return padded < conv.kernel ? 0 : (padded - conv.kernel) / conv.stride + 1;
}

}  // namespace ms
