// The table of config keys (see config_schema.h) and helpers over it.
#include "sweeps/config_schema.h"

#include <algorithm>
#include <limits>

#include "sweeps/datasets.h"

namespace ms {

namespace {
using nlohmann::json;
constexpr double kInf = 1e300;

std::vector<KeySpec> make_schema() {
  const std::vector<std::string> datasets = dataset_names();  // sweeps/datasets.cpp
  const std::vector<std::string> norms = {"group1", "layernorm", "batchnorm", "rmsnorm", "none"};
  const std::vector<std::string> acts = {"gelu", "relu", "silu", "starrelu", "squared_relu"};
  return {
      // ---- task ----
      {"task.dataset", ValueKind::Enum, "fashion-mnist", datasets, 0, 0, "dataset to train and test on"},
      {"task.data_dir", ValueKind::String, "", {}, 0, 0, "directory of the data files (default per dataset)"},
      {"task.text_file", ValueKind::String, "", {}, 0, 0, "charlm: the text file to model"},
      {"task.train_subset",
       ValueKind::Int,
       0,
       {},
       0,
       kInf,
       "N training examples (0 = all): an in-memory dataset's first N, a fixed random N of image files or shards"},
      {"task.test_subset",
       ValueKind::Int,
       0,
       {},
       0,
       kInf,
       "N test examples (0 = all): an in-memory dataset's first N, a fixed random N of image files or shards"},
      {"task.train_size", ValueKind::Int, 0, {}, 0, 1e9, "generated datasets: training examples (0 = default)"},
      {"task.test_size", ValueKind::Int, 0, {}, 0, 1e9, "generated datasets: test examples (0 = default)"},
      {"task.image_size", ValueKind::Int, 0, {}, 0, 4096, "synthetic-images: side in pixels (0 = dataset native)"},
      {"task.channels", ValueKind::Int, 0, {}, 0, 64, "synthetic-images: channels (0 = default 3)"},
      {"task.num_classes", ValueKind::Int, 0, {}, 0, 1e6, "synthetic-images: classes (0 = default 10)"},
      {"task.seq_len", ValueKind::Int, 64, {}, 2, 65536, "sequence tasks: length; charlm: context"},
      {"task.vocab", ValueKind::Int, 10, {}, 2, 1e6, "synthetic sequence tasks: vocabulary size"},
      {"task.epochs", ValueKind::Int, 5, {}, 1, 100000, "training epochs"},
      {"task.batch_size", ValueKind::Int, 128, {}, 1, 1e7, "global batch, split over the ranks of a job"},
      {"task.optimizer.name", ValueKind::Enum, "adamw", {"adamw", "adam", "sgd"}, 0, 0, "optimizer"},
      {"task.optimizer.lr", ValueKind::Float, 1e-3, {}, 0, 1e3, "peak learning rate"},
      {"task.optimizer.weight_decay",
       ValueKind::Float,
       0.05,
       {},
       0,
       1e3,
       "weight decay on weight matrices and kernels only (never norms, biases, layer scale, positions); "
       "default per optimizer: adamw 0.05 (decoupled), adam and sgd 0 (PyTorch's defaults; a value "
       "given for them is L2 through the gradient)"},
      {"task.optimizer.momentum", ValueKind::Float, 0.9, {}, 0, 1, "sgd momentum"},
      {"task.optimizer.nesterov", ValueKind::Bool, false, {}, 0, 0, "sgd nesterov momentum"},
      {"task.optimizer.beta1", ValueKind::Float, 0.9, {}, 0, 1, "adam(w) beta1"},
      {"task.optimizer.beta2", ValueKind::Float, 0.999, {}, 0, 1, "adam(w) beta2"},
      {"task.schedule.name", ValueKind::Enum, "cosine", {"cosine", "constant"}, 0, 0, "learning-rate schedule"},
      {"task.schedule.warmup_epochs", ValueKind::Float, 0.0, {}, 0, 100000, "linear warmup (fractions allowed)"},
      {"task.schedule.min_lr", ValueKind::Float, 0.0, {}, 0, 1e3, "cosine floor"},
      {"task.label_smoothing", ValueKind::Float, 0.1, {}, 0, 0.999, "label smoothing"},
      {"task.grad_clip", ValueKind::Float, 0.0, {}, 0, 1e9, "clip the global gradient norm (0 = off)"},
      {"task.precision", ValueKind::Enum, "fp32", {"fp32", "bf16"}, 0, 0, "bf16 = autocast on CUDA"},
      // ---- streamed image datasets (imagefolder, webdataset): keys added in 0.3, left out of job
      // ids at their defaults (since = 1); the defaults are DeiT's / PoolFormer's recipe ----
      {"task.train_shards",
       ValueKind::String,
       "",
       {},
       0,
       0,
       "webdataset: training shards, a folder or a brace pattern (default DATA_DIR/train)",
       1},
      {"task.val_shards",
       ValueKind::String,
       "",
       {},
       0,
       0,
       "webdataset: validation shards, a folder or a brace pattern (default DATA_DIR/val)",
       1},
      {"task.on_corrupt",
       ValueKind::Enum,
       "fail",
       {"fail", "skip"},
       0,
       0,
       "a corrupt or truncated image: fail the job naming it, or skip it (counted, said once per epoch)",
       1},
      {"task.augment.scale_min",
       ValueKind::Float,
       0.08,
       {},
       0.0,
       1.0,
       "RandomResizedCrop: smallest fraction of the image area",
       1},
      {"task.augment.scale_max",
       ValueKind::Float,
       1.0,
       {},
       0.0,
       1.0,
       "RandomResizedCrop: largest fraction of the image area",
       1},
      {"task.augment.ratio_min",
       ValueKind::Float,
       0.75,
       {},
       0.01,
       100.0,
       "RandomResizedCrop: smallest aspect ratio (width / height)",
       1},
      {"task.augment.ratio_max",
       ValueKind::Float,
       4.0 / 3.0,
       {},
       0.01,
       100.0,
       "RandomResizedCrop: largest aspect ratio (width / height)",
       1},
      {"task.augment.hflip", ValueKind::Float, 0.5, {}, 0.0, 1.0, "probability of a horizontal flip", 1},
      {"task.augment.interpolation",
       ValueKind::Enum,
       "bicubic",
       {"bicubic", "bilinear", "random"},
       0,
       0,
       "resampling filter of crops, RandAugment's geometric ops and the evaluation resize (Pillow's); "
       "random: in training bilinear or bicubic drawn per crop and per geometric op (timm's default, "
       "PoolFormer's train.py), bicubic in evaluation",
       1},
      {"task.augment.eval_crop_pct",
       ValueKind::Float,
       0.9,
       {},
       0.1,
       1.0,
       "evaluation: resize the shorter side to image_size / eval_crop_pct, then center-crop image_size",
       1},
      {"task.augment.erasing",
       ValueKind::Float,
       0.25,
       {},
       0.0,
       1.0,
       "random erasing: probability that one rectangle of a training image becomes N(0,1) noise (timm 'pixel')",
       1},
      {"task.augment.normalize",
       ValueKind::Enum,
       "imagenet",
       {"imagenet", "unit"},
       0,
       0,
       "imagenet: (x/255 - ImageNet mean) / std (grey: their channel averages, as timm); unit: x/255",
       1},
      {"task.augment.rand_augment",
       ValueKind::String,
       "",
       {},
       0,
       0,
       "streamed images: timm's RandAugment spec, e.g. rand-m9-mstd0.5-inc1 (DeiT/PoolFormer); empty: off",
       1},
      {"task.augment.mixup",
       ValueKind::Float,
       0.0,
       {},
       0.0,
       100.0,
       "Mixup: alpha of lambda ~ Beta(alpha, alpha), images and labels blended with the batch reversed; 0: off",
       1},
      {"task.augment.cutmix",
       ValueKind::Float,
       0.0,
       {},
       0.0,
       100.0,
       "CutMix: alpha of lambda ~ Beta(alpha, alpha), a box of area ~1-lambda pasted from the reversed batch; 0: off",
       1},
      {"task.augment.mix_prob",
       ValueKind::Float,
       1.0,
       {},
       0.0,
       1.0,
       "Mixup/CutMix: probability that a batch is mixed at all",
       1},
      {"task.augment.mix_switch",
       ValueKind::Float,
       0.5,
       {},
       0.0,
       1.0,
       "Mixup and CutMix both on: probability that a batch uses CutMix rather than Mixup",
       1},
      // ---- model ----
      {"model.arch", ValueKind::Enum, "metaformer", {"metaformer", "sequence"}, 0, 0, "model family"},
      {"model.depths", ValueKind::IntList, json::array({2, 2, 6, 2}), {}, 0, 1000, "blocks per stage"},
      {"model.dims", ValueKind::IntList, json::array({64, 128, 320, 512}), {}, 1, 1e6, "channels per stage"},
      {"model.mixers", ValueKind::StageEnum, "pool", {}, 0, 0, "token mixer, one or one per stage"},
      {"model.pool_size", ValueKind::Int, 3, {}, 1, 99, "pooling / depthwise kernel (odd)"},
      {"model.norm", ValueKind::Enum, "group1", norms, 0, 0, "normalization"},
      {"model.activation", ValueKind::Enum, "gelu", acts, 0, 0, "MLP activation"},
      {"model.heads", ValueKind::StageInt, "auto", {}, 1, 4096, "attention heads: auto = dim / head_dim"},
      {"model.head_dim", ValueKind::Int, 32, {}, 1, 4096, "head width when heads is auto"},
      {"model.mlp_ratio", ValueKind::Float, 4.0, {}, 0, 64, "MLP hidden width / dim"},
      {"model.layer_scale", ValueKind::Float, 1e-5, {}, 0, 1e3, "layer-scale init (0 = off)"},
      {"model.drop_path", ValueKind::Float, 0.1, {}, 0, 0.999, "final stochastic-depth rate"},
      {"model.residual", ValueKind::Bool, true, {}, 0, 0, "residual connections (ablation: false)"},
      {"model.channel_mlp", ValueKind::Bool, true, {}, 0, 0, "channel MLP sub-block (ablation: false)"},
      {"model.stem.kernel", ValueKind::Int, 7, {}, 1, 64, "stem conv kernel"},
      {"model.stem.stride", ValueKind::Int, 4, {}, 1, 64, "stem conv stride"},
      {"model.stem.padding", ValueKind::Int, 2, {}, 0, 64, "stem conv padding"},
      {"model.downsample.kernel", ValueKind::Int, 3, {}, 1, 64, "downsampling conv kernel"},
      {"model.downsample.stride", ValueKind::Int, 2, {}, 1, 64, "downsampling conv stride"},
      {"model.downsample.padding", ValueKind::Int, 1, {}, 0, 64, "downsampling conv padding"},
      {"model.norm_position", ValueKind::Enum, "pre", {"pre", "post"}, 0, 0, "sequence: pre- or post-norm"},
      {"model.positions",
       ValueKind::Enum,
       "sinusoidal",
       {"sinusoidal", "learned", "none"},
       0,
       0,
       "sequence: position encoding"},
      // ---- keys added after the first release (since >= 1: left out of job ids at their default) ----
      {"model.init",
       ValueKind::Enum,
       "trunc_normal",
       {"trunc_normal", "pytorch", "poolformer"},
       0,
       0,
       "linear and conv weights: trunc_normal = timm's trunc_normal_(std=0.02) (cut at +-2 absolute: in "
       "effect N(0, 0.02)) with zero biases for every conv and linear (MetaFormer's code); poolformer = "
       "the same but the stem and downsampling convs at PyTorch's default (PoolFormer's code); pytorch = PyTorch's "
       "layer defaults (kaiming-uniform a=sqrt(5), uniform biases), as "
       "a plain torch.nn encoder (the KV Transformer's) starts",
       1},
      {"model.block",
       ValueKind::Enum,
       "metaformer",
       {"metaformer", "gmlp"},
       0,
       0,
       "block form: metaformer = x + Mixer(Norm(x)), then x + MLP(Norm(x)); gmlp = gMLP's block, "
       "x + Proj(SGU(act(Linear dim -> mlp_ratio*dim (Norm(x))))) with no separate channel MLP (needs "
       "model.mixers: gmlp)",
       2},
      {"task.augment.jpeg_scaled_decode",
       ValueKind::Bool,
       true,
       {},
       0,
       0,
       "streamed JPEGs: decode a training crop at libjpeg's smallest M/8 scale that keeps image_size "
       "pixels (faster; a DCT low-pass before the resize, so not byte-exact with timm/Pillow); false: "
       "full-size decode, byte-exact with Pillow. Evaluation images are always decoded at full size",
       3},
      {"task.schedule.style",
       ValueKind::Enum,
       "metasweep",
       {"metasweep", "timm"},
       0,
       0,
       "metasweep: the rate changes every step, warmup from lr/warmup_steps, the cosine over the steps after "
       "warmup; timm: timm's CosineLRScheduler as PoolFormer/DeiT train (per epoch: epoch e < warmup_epochs at "
       "warmup_lr + e (lr - warmup_lr) / warmup_epochs, then min_lr + (lr - min_lr)(1 + cos(pi e / epochs)) / 2)",
       3},
      {"task.schedule.warmup_lr",
       ValueKind::Float,
       1e-6,
       {},
       0,
       1e3,
       "style timm: the learning rate of the first warmup epoch (timm's warmup_lr_init; its train.py default)",
       3},
  };
}
}  // namespace

const std::vector<KeySpec>& config_schema() {
  static const std::vector<KeySpec> schema = make_schema();
  return schema;
}

const KeySpec* find_key_spec(const std::string& dotted) {
  for (const auto& k : config_schema())
    if (k.key == dotted) return &k;
  return nullptr;
}

bool is_key_prefix(const std::string& prefix) {
  const std::string p = prefix + ".";
  for (const auto& k : config_schema())
    if (k.key.compare(0, p.size(), p) == 0) return true;
  return false;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string key_group_members(const std::string& prefix, size_t shown) {
  std::vector<std::string> members;
  for (const auto& k : config_schema())
    if (k.key.rfind(prefix + ".", 0) == 0) members.push_back(k.key);
  const bool more = members.size() > shown;
  if (more) members.resize(shown);
  return join(members, ", ") + (more ? ", ..." : "");
}

std::string closest_key(const std::string& unknown) {
  std::string best;
  size_t best_d = std::numeric_limits<size_t>::max();
  const auto consider = [&](const std::string& candidate, const std::string& suggest) {
    const size_t d = edit_distance(unknown, candidate);
    if (d < best_d && suggest != unknown) best_d = d, best = suggest;  // never the key itself (a group)
  };
  for (const auto& k : config_schema()) {
    consider(k.key, k.key);
    // Groups too (task.optimzer -> task.optimizer), and the long names other tools use for a
    // key (learning_rate, lerning_rate -> lr).
    for (size_t dot = k.key.find('.'); dot != std::string::npos; dot = k.key.find('.', dot + 1))
      consider(k.key.substr(0, dot), k.key.substr(0, dot));
    const size_t last = k.key.rfind('.');
    const std::string leaf = k.key.substr(last + 1), group = k.key.substr(0, last + 1);
    if (leaf == "lr") consider(group + "learning_rate", k.key);
    if (leaf == "weight_decay") consider(group + "wd", k.key);
  }
  return best_d <= 3 ? best : "";
}

nlohmann::json default_flat_config() {
  nlohmann::json flat = nlohmann::json::object();
  for (const auto& k : config_schema()) flat[k.key] = k.default_value;
  return flat;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::vector<std::string> split(const std::string& text, const std::string& sep) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    const size_t at = text.find(sep, start);
    out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + sep.size();
  }
}

}  // namespace ms
