// The resolved config as types: what a job trains, read once from the resolved JSON (which stays
// the stored and hashed form, see job.h) so that the worker reads fields, never keys, and no
// reader can fall back to a value that contradicts the schema. Every field is required; only a
// key that a later release added (KeySpec::since >= 1) and that a config stored before it lacks
// takes the schema's default, which by that key's contract keeps the old behaviour.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ms {

struct OptimizerConfig {
  std::string name;  // adamw | adam | sgd
  double lr = 0, weight_decay = 0, momentum = 0, beta1 = 0, beta2 = 0;
  bool nesterov = false;
};

struct ScheduleConfig {
  std::string name;   // cosine | constant
  std::string style;  // metasweep (per step) | timm (per epoch, timm's CosineLRScheduler)
  double warmup_epochs = 0, min_lr = 0, warmup_lr = 0;
};

// Streamed image datasets: the training crops and flips and the evaluation transform.
struct AugmentConfig {
  double scale_min = 0, scale_max = 0, ratio_min = 0, ratio_max = 0, hflip = 0, eval_crop_pct = 0, erasing = 0;
  double mixup = 0, cutmix = 0, mix_prob = 0, mix_switch = 0;  // Beta alphas (0: off), per-batch probabilities
  std::string interpolation, normalize;
  std::string rand_augment;  // timm's spec (sweeps/rand_augment_spec.h); empty: off
  bool jpeg_scaled_decode = true;  // training crops decoded at a reduced DCT scale when it keeps image_size
};

struct TaskConfig {
  std::string dataset, data_dir, text_file, precision;
  int64_t train_subset = 0, test_subset = 0, train_size = 0, test_size = 0;
  int64_t image_size = 0, channels = 0, num_classes = 0, seq_len = 0, vocab = 0;
  int64_t epochs = 0, batch_size = 0;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  double label_smoothing = 0, grad_clip = 0;
  std::string train_shards, val_shards, on_corrupt;
  AugmentConfig augment;
};

struct ConvConfig {
  int64_t kernel = 0, stride = 0, padding = 0;
};

// The side of a square feature map after `conv` (0 when the kernel does not fit even once): the
// one formula behind the validator's geometry check, the MetaFormer's stem and downsamplings, and
// the cost formula.
int64_t conv_output_side(int64_t side, const ConvConfig& conv);

struct ModelConfig {
  std::string arch, norm, activation, norm_position, positions, init, block;
  std::vector<int64_t> depths, dims;
  std::vector<std::string> mixers;  // one per stage
  std::vector<int64_t> heads;       // one per stage, resolved (never "auto")
  int64_t pool_size = 0, head_dim = 0;
  double mlp_ratio = 0, layer_scale = 0, drop_path = 0;
  bool residual = true, channel_mlp = true;
  ConvConfig stem, downsample;
};

struct RunConfig {
  TaskConfig task;
  ModelConfig model;
};

// Throws std::invalid_argument naming the key when a required key is missing or has the wrong
// type (a config this release did not resolve, or a damaged one).
RunConfig run_config(const nlohmann::json& resolved);

}  // namespace ms
