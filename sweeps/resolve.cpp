// Override stacking and cross-key validation (see resolve.h).
#include "sweeps/resolve.h"

#include <algorithm>

#include <filesystem>
#include <map>

#include "sweeps/config_schema.h"
#include "sweeps/datasets.h"
#include "sweeps/errors.h"
#include "sweeps/rand_augment_spec.h"
#include "sweeps/run_config.h"
#include "sweeps/shard_pattern.h"

namespace ms {

using nlohmann::json;

json nest_config(const json& flat) {
  json nested = json::object();
  for (auto it = flat.begin(); it != flat.end(); ++it) {
    json* node = &nested;
    const std::string& key = it.key();
    size_t start = 0;
    for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', start)) {
      node = &(*node)[key.substr(start, dot - start)];
      start = dot + 1;
    }
    (*node)[key.substr(start)] = it.value();
  }
  return nested;
}

namespace {
void flatten_into(const json& node, const std::string& prefix, json& out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it.value().is_object())
      flatten_into(it.value(), key, out);
    else
      out[key] = it.value();
  }
}
}  // namespace

json flatten_config(const json& nested) {
  json out = json::object();
  flatten_into(nested, "", out);
  return out;
}

namespace {

// The datasets `keep` accepts, by name.
template <typename Keep>
std::string dataset_names_where(Keep keep) {
  std::vector<std::string> names;
  for (const DatasetInfo& d : dataset_catalog())
    if (keep(d)) names.push_back(d.name);
  return join(names, ", ");
}

// A key that does nothing for the job's dataset, given a value other than its default, is
// refused: it would be ignored, yet put the job under another id, and an ablation of it would
// show nothing (train_size for fashion-mnist trains on all 60,000). Its default is fine, so a
// base that sets a key for one dataset may still vary task.dataset through values that reset it.
template <typename Fail>
void check_dataset_keys(const DatasetInfo& data, const json& flat, const std::map<std::string, Mark>& where,
                        Fail fail) {
  static const json defaults = default_flat_config();
  const std::string& dataset = data.name;
  const bool images = data.kind == DataKind::Images;
  for (const auto& [key, mark] : where) {
    if (!defaults.contains(key) || flat.at(key) == defaults.at(key)) continue;
    // The per-image augmentations run in the streamed loader only; Mixup and CutMix work on
    // batches of any image dataset.
    const bool batch_mix = key == "task.augment.mixup" || key == "task.augment.cutmix" ||
                           key == "task.augment.mix_prob" || key == "task.augment.mix_switch";
    if (key.rfind("task.augment.", 0) == 0 && !batch_mix && !data.streamed)
      fail(key, key + " applies to streamed image datasets (" +
                    dataset_names_where([](auto& d) { return d.streamed; }) + "); " + dataset +
                    " is held in memory, where only task.augment.mixup, cutmix, mix_prob and mix_switch apply");
    if ((key == "task.train_shards" || key == "task.val_shards") && dataset != "webdataset")
      fail(key, key + " names tar shards of the webdataset dataset; " + dataset + " reads none");
    if (key == "task.data_dir" && data.default_data_dir.empty() &&
        std::none_of(data.required.begin(), data.required.end(), [](auto& r) { return r.key == "task.data_dir"; }))
      fail(key, "task.data_dir names the folder of a dataset read from files (" +
                    dataset_names_where([](auto& d) {
                      return !d.default_data_dir.empty() ||
                             std::any_of(d.required.begin(), d.required.end(),
                                         [](auto& r) { return r.key == "task.data_dir"; });
                    }) +
                    "); " + dataset +
                    (data.loader == "charlm" ? " reads task.text_file" : " is generated and reads no files"));
    if (key == "task.on_corrupt" && !data.streamed)
      fail(key, "task.on_corrupt applies to image files read from disk (" +
                    dataset_names_where([](auto& d) { return d.streamed; }) + "); " + dataset + " is held in memory");
    if ((key == "task.train_size" || key == "task.test_size") && data.default_train_size == 0) {
      const std::string split = key == "task.train_size" ? "train" : "test";
      fail(key, key + " sets how many examples a generated dataset makes (" +
                    dataset_names_where([](auto& d) { return d.default_train_size > 0; }) + "); " + dataset +
                    (data.loader == "charlm"
                         ? " cuts its examples from task.text_file"
                         : " reads its examples from its files (task." + split + "_subset " + split + "s on fewer)"));
    }
    if (key == "task.vocab" && data.vocab > 0)
      fail(key, "task.vocab does not apply to " + dataset + ": its tokens are the " + std::to_string(data.vocab) +
                    " byte values");
    if ((key == "task.vocab" || key == "task.seq_len") && images)
      fail(key, key + " applies to sequence datasets (" + join(dataset_names(DataKind::Sequences), ", ") + "); " +
                    dataset + " is an image dataset");
    if (key == "task.text_file" && data.loader != "charlm")
      fail(key, "task.text_file names charlm's text; " + dataset + " reads none");
    if ((key == "task.image_size" || key == "task.channels" || key == "task.num_classes") && !images)
      fail(key, key + " applies to image datasets; " + dataset + " is a sequence task");
  }
}

}  // namespace

json resolve_config(const std::string& file, const std::vector<const Overrides*>& layers, const Catalog& catalog,
                    Mark fallback) {
  json flat = default_flat_config();
  std::map<std::string, Mark> where;
  std::map<std::string, size_t> layer_of;  // which layer (base, a variant, a grid cell) set a key last
  for (size_t l = 0; l < layers.size(); ++l)
    for (const Override& o : *layers[l]) {
      flat[o.key] = o.value;
      where[o.key] = o.mark;
      layer_of[o.key] = l;
    }
  // Of two keys that disagree, the one a later layer set: a variant's depths against the base's
  // dims is the variant's mistake.
  auto later = [&](const std::string& a, const std::string& b) {
    if (!where.count(a)) return b;
    if (!where.count(b)) return a;
    return layer_of[b] > layer_of[a] ? b : a;
  };
  auto fail = [&](const std::string& key, const std::string& message) -> void {
    auto it = where.find(key);
    const Mark m = it == where.end() ? fallback : it->second;
    throw SpecError(file, m.line, m.col, message);
  };

  // ---- task ----
  // Weight decay defaults per optimizer, as their users expect (PyTorch's defaults): adamw 0.05,
  // decoupled from the gradient; adam and sgd none, because theirs is L2 through the gradient,
  // which suppresses every branch scaled down by a small layer scale (a token mixer's gradient
  // is ~layer_scale times the rest, so the L2 pull dominates it). A value the sweep gives wins.
  if (!where.count("task.optimizer.weight_decay") && flat["task.optimizer.name"] != "adamw")
    flat["task.optimizer.weight_decay"] = 0.0;

  const std::string dataset = flat["task.dataset"];
  const DatasetInfo& data = dataset_info(dataset);  // the schema accepted only catalog names
  const bool sequence_task = data.kind == DataKind::Sequences;
  if (flat["task.data_dir"] == "" && !data.default_data_dir.empty()) flat["task.data_dir"] = data.default_data_dir;
  for (const auto& [key, why] : data.required) {
    if (data.streamed && key == "task.data_dir" && flat["task.train_shards"] != "" && flat["task.val_shards"] != "")
      continue;  // the shards are named one by one
    if (flat[key] == "" || flat[key] == 0) fail("task.dataset", dataset + " needs " + key + " (" + why + ")");
  }
  // A subset beyond the installed files' examples would silently be all of them, under another
  // job id (and plan would cost examples that do not exist). Files elsewhere may hold more.
  auto within = [&](const char* key, int64_t available, const char* split, const std::string& has) {
    const int64_t n = flat[key];
    if (available > 0 && n > available)
      fail(key, std::string(key) + " " + std::to_string(n) + " is more than the " + std::to_string(available) + " " +
                    split + " examples " + dataset + " " + has + " (0 = all of them)");
  };
  if (flat["task.data_dir"] == data.default_data_dir && !data.default_data_dir.empty()) {
    within("task.train_subset", data.train_examples, "training", "has");
    within("task.test_subset", data.test_examples, "test", "has");
  }
  if (data.kind == DataKind::Images && data.fixed_geometry) {
    auto pin = [&](const char* key, int64_t value) {
      if (flat[key] != 0 && flat[key] != value)
        fail(key, std::string(key) + " is fixed at " + std::to_string(value) + " for " + dataset);
      flat[key] = value;
    };
    pin("task.image_size", data.image_size);
    pin("task.channels", data.channels);
    pin("task.num_classes", data.classes);
  } else if (data.kind == DataKind::Images) {
    if (flat["task.image_size"] == 0) flat["task.image_size"] = data.image_size;
    if (flat["task.channels"] == 0) flat["task.channels"] = data.channels;
    if (flat["task.num_classes"] == 0) flat["task.num_classes"] = data.classes;
  }
  if (data.streamed && flat["task.channels"] != 1 && flat["task.channels"] != 3)
    fail("task.channels",
         dataset + " decodes images to 1 (grey) or 3 (RGB) channels, not " + flat["task.channels"].dump());
  if (flat["task.augment.scale_min"].get<double>() > flat["task.augment.scale_max"].get<double>())
    fail("task.augment.scale_min", "task.augment.scale_min is above task.augment.scale_max");
  if (flat["task.augment.ratio_min"].get<double>() > flat["task.augment.ratio_max"].get<double>())
    fail("task.augment.ratio_min", "task.augment.ratio_min is above task.augment.ratio_max");
  try {
    parse_rand_augment(flat["task.augment.rand_augment"].get<std::string>());
  } catch (const std::invalid_argument& e) {
    fail("task.augment.rand_augment", std::string("task.augment.") + e.what());
  }
  check_dataset_keys(data, flat, where, fail);
  // A shard pattern's syntax is known before any file is read (a path that exists is a shard or
  // a folder of shards as it is, braces and all).
  for (const char* key : {"task.train_shards", "task.val_shards"}) {
    const std::string pattern = flat[key];
    std::error_code ec;
    if (dataset != "webdataset" || pattern.empty() || std::filesystem::exists(pattern, ec)) continue;
    try {
      expand_braces(pattern);
    } catch (const std::invalid_argument& e) {
      fail(key, std::string(key) + ": " + e.what());
    }
  }
  if (sequence_task && (flat["task.augment.mixup"] != 0.0 || flat["task.augment.cutmix"] != 0.0))
    fail(flat["task.augment.mixup"] != 0.0 ? "task.augment.mixup" : "task.augment.cutmix",
         "Mixup and CutMix mix images; " + dataset + " is a sequence task");
  if (data.default_train_size > 0 && flat["task.train_size"] == 0) flat["task.train_size"] = data.default_train_size;
  if (data.default_test_size > 0 && flat["task.test_size"] == 0) flat["task.test_size"] = data.default_test_size;
  if (data.default_train_size > 0) {  // a generated dataset: its size is the config's
    within("task.train_subset", flat["task.train_size"], "training", "generates (task.train_size)");
    within("task.test_subset", flat["task.test_size"], "test", "generates (task.test_size)");
  }
  if (data.even_length && flat["task.seq_len"].get<int64_t>() % 2 != 0)
    fail("task.seq_len", dataset + " needs an even task.seq_len");

  // ---- model geometry ----
  const std::string arch = flat["model.arch"];
  if (arch == "metaformer" && sequence_task)
    fail("model.arch", "model.arch metaformer needs an image dataset; '" + dataset +
                           "' is a sequence task (use model.arch: sequence)");
  if (arch == "sequence" && !sequence_task)
    fail("model.arch", "model.arch sequence needs a sequence dataset (" +
                           join(dataset_names(DataKind::Sequences), ", ") + "), got '" + dataset + "'");
  const json& depths = flat["model.depths"];
  const json& dims = flat["model.dims"];
  const size_t stages = depths.size();
  if (dims.size() != stages)
    fail(later("model.dims", "model.depths"),
         "model.depths has " + std::to_string(stages) + " stages but model.dims has " + std::to_string(dims.size()));
  if (arch == "sequence" && stages != 1)
    fail("model.depths", "model.arch sequence is isotropic: give one stage, e.g. depths: [4], dims: [128]");

  json mixers = flat["model.mixers"];
  if (mixers.is_string()) mixers = json::array_t(stages, mixers);
  if (mixers.size() != stages)
    fail(later("model.mixers", "model.depths"),
         "model.mixers lists " + std::to_string(mixers.size()) + " stages but the model has " + std::to_string(stages));
  flat["model.mixers"] = mixers;

  json heads = flat["model.heads"];
  if (!heads.is_array()) heads = json::array_t(stages, heads);
  if (heads.size() != stages)
    fail(later("model.heads", "model.depths"),
         "model.heads lists " + std::to_string(heads.size()) + " stages but the model has " + std::to_string(stages));
  const int64_t head_dim = flat["model.head_dim"];
  for (size_t i = 0; i < stages; ++i) {
    const int64_t dim = dims[i];
    const bool auto_heads = heads[i] == "auto";
    int64_t h = auto_heads ? std::max<int64_t>(1, dim / head_dim) : heads[i].get<int64_t>();
    const MixerTraits* traits = catalog.find_mixer(mixers[i]);
    if (traits && traits->uses_heads && dim % h != 0)
      fail(auto_heads ? "model.head_dim" : "model.heads", "stage " + std::to_string(i + 1) + ": dim " +
                                                              std::to_string(dim) + " is not divisible into " +
                                                              std::to_string(h) + " heads");
    heads[i] = h;
  }
  flat["model.heads"] = heads;

  // The gmlp mixer gates one half of the channels with the other.
  for (size_t i = 0; i < stages; ++i)
    if (mixers[i] == "gmlp" && flat["model.block"] != "gmlp" && dims[i].get<int64_t>() % 2 != 0)
      fail("model.dims", "stage " + std::to_string(i + 1) + ": the gmlp mixer splits channels in two, and dim " +
                             dims[i].dump() + " is odd");
  // gMLP's block: the spatial gating unit is its token mixing and its expansion its channel MLP.
  if (flat["model.block"] == "gmlp") {
    for (size_t i = 0; i < stages; ++i)
      if (mixers[i] != "gmlp")
        fail("model.mixers",
             "model.block gmlp mixes tokens with its spatial gating unit: set model.mixers: gmlp (stage " +
                 std::to_string(i + 1) + " has '" + mixers[i].get<std::string>() + "')");
    if (!flat["model.channel_mlp"].get<bool>())
      fail("model.channel_mlp",
           "model.block gmlp has no separate channel MLP to switch off (its dim -> mlp_ratio x dim expansion feeds "
           "the gating unit): leave model.channel_mlp true");
    for (size_t i = 0; i < stages; ++i) {
      const auto d_ffn = static_cast<int64_t>(dims[i].get<double>() * flat["model.mlp_ratio"].get<double>());
      if (d_ffn < 2 || d_ffn % 2 != 0)
        fail("model.mlp_ratio", "model.block gmlp splits d_ffn = mlp_ratio x dim in two: stage " +
                                    std::to_string(i + 1) + " has d_ffn " + std::to_string(d_ffn) + " (dim " +
                                    dims[i].dump() + "); choose an even d_ffn");
    }
  }

  // A channel MLP narrower than one unit (mlp_ratio x dim below 1) is no MLP; the way to drop it
  // is model.channel_mlp: false, which the tables then say.
  if (flat["model.block"] != "gmlp" && flat["model.channel_mlp"].get<bool>())
    for (size_t i = 0; i < stages; ++i)
      if (static_cast<int64_t>(dims[i].get<double>() * flat["model.mlp_ratio"].get<double>()) < 1)
        fail("model.mlp_ratio", "model.mlp_ratio " + flat["model.mlp_ratio"].dump() + " x dim " + dims[i].dump() +
                                    " leaves stage " + std::to_string(i + 1) +
                                    "'s channel MLP without a hidden unit; to drop the channel MLP, set "
                                    "model.channel_mlp: false");

  if (flat["model.pool_size"].get<int64_t>() % 2 == 0)
    fail("model.pool_size",
         "model.pool_size must be odd (got " + flat["model.pool_size"].dump() + ") so the output keeps its size");

  if (arch == "metaformer") {
    auto conv = [&](const std::string& prefix) {
      return ConvConfig{flat[prefix + ".kernel"].get<int64_t>(), flat[prefix + ".stride"].get<int64_t>(),
                        flat[prefix + ".padding"].get<int64_t>()};
    };
    int64_t side = conv_output_side(flat["task.image_size"], conv("model.stem"));
    for (size_t i = 1; i < stages && side >= 1; ++i) side = conv_output_side(side, conv("model.downsample"));
    if (side < 1)
      fail("model.depths", "a " + flat["task.image_size"].dump() + "px image shrinks to nothing through the stem and " +
                               std::to_string(stages - 1) + " downsamplings");
  }

  if (data.causal) {
    for (size_t i = 0; i < stages; ++i) {
      const MixerTraits* traits = catalog.find_mixer(mixers[i]);
      if (traits && !traits->causal_ok)
        fail("model.mixers", "mixer '" + mixers[i].get<std::string>() +
                                 "' has no causal form, so it cannot be used for " + dataset +
                                 " (next-token prediction)");
    }
    const std::string norm = flat["model.norm"];
    if (norm == "group1" || norm == "batchnorm")
      fail("model.norm", "norm '" + norm +
                             "' mixes statistics across positions, so it is not causal: use layernorm or rmsnorm for " +
                             dataset);
  }
  return nest_config(flat);
}

}  // namespace ms
