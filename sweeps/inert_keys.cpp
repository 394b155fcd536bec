// Which keys of a job config its training never reads (see inert_keys.h). Each rule mirrors the
// code that reads the key: worker/train/trainer_optimizer.cpp (momentum and nesterov for sgd only,
// betas for adam and adamw), worker/train/lr_schedule.cpp (min_lr for cosine, warmup_lr for the
// timm style's warmup), worker/models/block.cpp (heads for mixers with heads, per stage; head_dim
// only through heads: auto; pool_size for the mixers whose kernel it is; mlp_ratio and activation
// for the channel MLP or gMLP's unit; drop_path from the second block), sequence_model.cpp
// (positions), metaformer.cpp (the stem and downsampling convolutions; init poolformer) and
// worker/data/batch_mixing.cpp (mix_prob with Mixup or CutMix on, mix_switch with both on).
#include "sweeps/inert_keys.h"

#include "sweeps/resolve.h"

namespace ms {

using nlohmann::json;

namespace {

std::string mixer_list(const json& mixers) {
  std::string out;
  for (const auto& m : mixers) out += (out.empty() ? "" : ", ") + m.get<std::string>();
  return out;
}

}  // namespace

int64_t stochastic_depth_blocks(const json& depths, bool sequence) {
  int64_t blocks = 0;
  for (size_t i = 0; i < depths.size() && (!sequence || i == 0); ++i) blocks += depths[i].get<int64_t>();
  return blocks;
}

std::vector<InertKey> inert_keys(const json& config, const Catalog& catalog) {
  return inert_keys_of_flat(flatten_config(config), catalog);
}

std::vector<InertKey> inert_keys_of_flat(const json& flat, const Catalog& catalog) {
  std::vector<InertKey> out;
  auto inert = [&](const std::string& key, const std::string& why) {
    if (flat.contains(key)) out.push_back({key, why, std::nullopt, true});
  };
  const std::string optimizer = flat.value("task.optimizer.name", "adamw");
  if (optimizer != "sgd") {
    inert("task.optimizer.momentum", "task.optimizer.momentum is sgd's, and this job trains with " + optimizer);
    inert("task.optimizer.nesterov", "task.optimizer.nesterov is sgd's, and this job trains with " + optimizer);
  } else {
    inert("task.optimizer.beta1", "task.optimizer.beta1 is adam's and adamw's, and this job trains with sgd");
    inert("task.optimizer.beta2", "task.optimizer.beta2 is adam's and adamw's, and this job trains with sgd");
    if (flat.value("task.optimizer.momentum", 0.9) == 0.0)
      inert("task.optimizer.nesterov", "task.optimizer.nesterov needs momentum, and task.optimizer.momentum is 0");
  }
  if (flat.value("task.schedule.name", "cosine") != "cosine")
    inert("task.schedule.min_lr", "task.schedule.min_lr is the cosine schedule's floor, and this job's schedule is " +
                                      flat.value("task.schedule.name", std::string()));
  if (flat.value("task.schedule.style", "metasweep") != "timm")
    inert("task.schedule.warmup_lr", "task.schedule.warmup_lr applies to task.schedule.style timm");
  else if (flat.value("task.schedule.warmup_epochs", 0.0) == 0.0)
    inert("task.schedule.warmup_lr", "task.schedule.warmup_lr starts a warmup, and task.schedule.warmup_epochs is 0");

  const double mixup = flat.value("task.augment.mixup", 0.0), cutmix = flat.value("task.augment.cutmix", 0.0);
  if (mixup == 0.0 && cutmix == 0.0) {
    const std::string why = " applies to Mixup and CutMix, and task.augment.mixup and cutmix are both 0";
    inert("task.augment.mix_prob", "task.augment.mix_prob" + why);
    inert("task.augment.mix_switch", "task.augment.mix_switch" + why);
  } else if (mixup == 0.0 || cutmix == 0.0) {
    inert("task.augment.mix_switch", std::string("task.augment.mix_switch chooses between Mixup and CutMix, and only ") +
                                         (mixup > 0 ? "Mixup (task.augment.cutmix is 0)" : "CutMix (task.augment.mixup is 0)") +
                                         " is on");
  }

  const json mixers = flat.value("model.mixers", json::array());
  bool heads = false, pool_size = false, gmlp = flat.value("model.block", "metaformer") == "gmlp";
  for (const auto& m : mixers) {
    const MixerTraits* traits = m.is_string() ? catalog.find_mixer(m.get<std::string>()) : nullptr;
    if (!traits) return out;  // an unknown mixer: nothing is known of what it reads
    heads = heads || traits->uses_heads;
    pool_size = pool_size || traits->uses_pool_size;
    gmlp = gmlp || traits->name == "gmlp";
  }
  std::string pool_mixers;
  for (const MixerTraits& t : catalog.mixers)
    if (t.uses_pool_size) pool_mixers += (pool_mixers.empty() ? "" : " and ") + t.name;
  const std::string stages = " (mixers: " + mixer_list(mixers) + ")";
  if (!heads) {  // heads "auto" resolves from head_dim: one reason for both
    const std::string why =
        "model.heads and model.head_dim size attention heads, and no stage of this model has a mixer with heads" +
        stages;
    inert("model.heads", why);
    inert("model.head_dim", why);
  } else {
    // The resolved config holds every stage's heads: head_dim only chose them for heads "auto"
    // (resolve.cpp), and training reads the heads alone.
    if (flat.contains("model.head_dim") && flat.contains("model.heads"))
      out.push_back({"model.head_dim",
                     "model.head_dim only chooses the heads of model.heads: auto, and this job's heads are " +
                         flat.at("model.heads").dump(),
                     std::nullopt, false});
    // A stage whose mixer has no heads never reads its heads.
    const json& stage_heads = flat.value("model.heads", json());
    if (stage_heads.is_array() && stage_heads.size() == mixers.size()) {
      json read = stage_heads;
      std::string unread;
      for (size_t i = 0; i < mixers.size(); ++i)
        if (!catalog.find_mixer(mixers[i].get<std::string>())->uses_heads) {
          read[i] = 0;
          unread += (unread.empty() ? "" : ", ") + std::to_string(i + 1);
        }
      if (!unread.empty())
        out.push_back({"model.heads",
                       "model.heads of stage" + std::string(unread.find(',') == std::string::npos ? " " : "s ") +
                           unread + " is read by nothing: their mixers have no heads" + stages,
                       read, false});
    }
  }
  if (!pool_size && !pool_mixers.empty())
    inert("model.pool_size", "model.pool_size is the kernel of the " + pool_mixers +
                                 " mixers, and no stage of this model has one" + stages);
  if (!flat.value("model.channel_mlp", true) && !gmlp) {
    inert("model.mlp_ratio", "model.mlp_ratio sizes the channel MLP, which model.channel_mlp: false removes");
    inert("model.activation",
          "model.activation is the channel MLP's (and gMLP's unit's), which model.channel_mlp: false removes");
  }
  // Stochastic depth rises from 0 at the first block (worker/models/block.cpp): one block, no drop.
  const bool sequence = flat.value("model.arch", "metaformer") == "sequence";
  const json depths = flat.value("model.depths", json::array());
  if (stochastic_depth_blocks(depths, sequence) == 1)
    inert("model.drop_path", "model.drop_path is the last block's stochastic-depth rate, rising from 0 at the "
                             "first, and this model has one block");
  if (!sequence && depths.size() == 1)
    for (const char* key : {"model.downsample.kernel", "model.downsample.stride", "model.downsample.padding"})
      inert(key, std::string(key) + " is the convolution between stages, and this model has one stage");
  // init poolformer differs from trunc_normal in the stem and downsampling convolutions only.
  if (sequence && flat.value("model.init", "trunc_normal") == "poolformer")
    out.push_back({"model.init",
                   "model.init poolformer differs from trunc_normal in the stem and downsampling convolutions, and "
                   "model.arch sequence has none",
                   json("trunc_normal"), true});
  if (!sequence) {
    inert("model.positions", "model.positions applies to model.arch sequence");
  } else {
    for (const char* key : {"model.stem.kernel", "model.stem.stride", "model.stem.padding", "model.downsample.kernel",
                            "model.downsample.stride", "model.downsample.padding"})
      inert(key, std::string(key) + " is a convolution of model.arch metaformer, and model.arch sequence has none");
  }
  return out;
}

json effective_flat_config(const json& config, const Catalog& catalog) {
  const json flat = flatten_config(config);
  return effective_flat_config(flat, inert_keys_of_flat(flat, catalog));
}

json effective_flat_config(json flat, const std::vector<InertKey>& inert) {
  for (const InertKey& k : inert) {
    if (k.read_part)
      flat[k.key] = *k.read_part;
    else
      flat.erase(k.key);
  }
  return flat;
}

}  // namespace ms
