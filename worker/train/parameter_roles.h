// What each trainable parameter of a model is for, and so whether weight decay applies to it.
// Decay by role, not by rank (timm's and the papers' rule): weight matrices and kernels decay;
// norm affines, biases, layer scales, position embeddings and learnable scalars never do. A
// layer scale or a norm weight shaped {C,1,1} has rank 3 but is not a weight: decaying it
// (as a dim() >= 2 rule did) pulls every block branch towards zero.
#pragma once
#include <string>
#include <vector>

#include <torch/torch.h>

namespace ms {

enum class ParamRole {
  Weight,      // a linear/conv/embedding weight or a token-mixing matrix: decays
  Bias,        // any parameter named *bias
  Norm,        // the affine parameters of a normalization layer
  LayerScale,  // ls1 / ls2 of a MetaFormer block
  Position,    // learned position embeddings and relative-position tables
  Scalar,      // learnable scalars and vectors (StarReLU's s and b, KV+Pos's w and b)
};

const char* role_name(ParamRole role);

struct RoledParameter {
  std::string name;  // qualified, as named_parameters() gives it
  torch::Tensor tensor;
  ParamRole role;
};

// Every trainable parameter of `model` with its role, in model.parameters() order.
std::vector<RoledParameter> trainable_parameter_roles(torch::nn::Module& model);

inline bool decays(ParamRole role) { return role == ParamRole::Weight; }

// The trainable parameters that weight decay applies to and the rest, in parameters() order.
struct DecaySplit {
  std::vector<torch::Tensor> decaying, others;
};
DecaySplit split_by_weight_decay(torch::nn::Module& model);

}  // namespace ms
