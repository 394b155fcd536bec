// Parameter roles for weight decay (see parameter_roles.h).
#include "worker/train/parameter_roles.h"

#include <set>

#include "worker/models/norms.h"

namespace ms {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string leaf_of(const std::string& qualified) {
  const auto dot = qualified.rfind('.');
  return dot == std::string::npos ? qualified : qualified.substr(dot + 1);
}

bool is_norm_module(torch::nn::Module& m) {
  return m.as<NormImpl>() || m.as<torch::nn::GroupNormImpl>() || m.as<torch::nn::BatchNorm2dImpl>() ||
         m.as<torch::nn::LayerNormImpl>() || m.as<torch::nn::BatchNorm1dImpl>();
}

}  // namespace

const char* role_name(ParamRole role) {
  switch (role) {
    case ParamRole::Weight:
      return "weight";
    case ParamRole::Bias:
      return "bias";
    case ParamRole::Norm:
      return "norm";
    case ParamRole::LayerScale:
      return "layer_scale";
    case ParamRole::Position:
      return "position";
    case ParamRole::Scalar:
      return "scalar";
  }
  return "?";
}

std::vector<RoledParameter> trainable_parameter_roles(torch::nn::Module& model) {
  // Prefixes ("stage0.1.norm1.") of every normalization module: their parameters are affines.
  std::vector<std::string> norm_prefixes;
  for (const auto& item : model.named_modules("", /*include_self=*/false))
    if (is_norm_module(*item.value())) norm_prefixes.push_back(item.key() + ".");
  static const std::set<std::string> kLayerScale = {"ls1", "ls2"};
  static const std::set<std::string> kPosition = {"positions", "pos_embed", "pos_table"};

  std::vector<RoledParameter> out;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    const torch::Tensor& p = item.value();
    if (!p.requires_grad()) continue;
    const std::string& name = item.key();
    const std::string leaf = leaf_of(name);
    ParamRole role = ParamRole::Weight;
    bool in_norm = false;
    for (const auto& prefix : norm_prefixes) in_norm = in_norm || name.compare(0, prefix.size(), prefix) == 0;
    if (in_norm)
      role = ParamRole::Norm;
    else if (kLayerScale.count(leaf))
      role = ParamRole::LayerScale;
    else if (kPosition.count(leaf))
      role = ParamRole::Position;
    else if (ends_with(leaf, "bias"))
      role = ParamRole::Bias;
    else if (p.dim() <= 1)
      role = ParamRole::Scalar;
    out.push_back({name, p, role});
  }
  return out;
}

DecaySplit split_by_weight_decay(torch::nn::Module& model) {
  DecaySplit split;
  for (const auto& r : trainable_parameter_roles(model))
    (decays(r.role) ? split.decaying : split.others).push_back(r.tensor);
  return split;
}

}  // namespace ms
