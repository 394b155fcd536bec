// Activations (see activations.h).
#include "worker/models/activations.h"

#include <stdexcept>

namespace ms {

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = {"gelu", "relu", "silu", "starrelu", "squared_relu"};
  return names;
}

int64_t activation_param_count(const std::string& kind) {
  return kind == "starrelu" ? 2 : 0;  // StarReLU's scale and bias
}

ActivationImpl::ActivationImpl(const std::string& kind) {
  if (kind == "gelu") {
    kind_ = Kind::Gelu;
  } else if (kind == "relu") {
    kind_ = Kind::Relu;
  } else if (kind == "silu") {
    kind_ = Kind::Silu;
  } else if (kind == "squared_relu") {
    kind_ = Kind::SquaredRelu;
  } else if (kind == "starrelu") {
    kind_ = Kind::StarRelu;
    scale_ = register_parameter("scale", torch::ones({1}));
    bias_ = register_parameter("bias", torch::zeros({1}));
  } else {
    std::string known;
    for (const auto& n : activation_names()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown activation '" + kind + "': expected one of " + known);
  }
}

torch::Tensor ActivationImpl::forward(const torch::Tensor& x) {
  switch (kind_) {
    case Kind::Gelu:
      return torch::gelu(x);
    case Kind::Relu:
      return torch::relu(x);
    case Kind::Silu:
      return torch::silu(x);
    case Kind::SquaredRelu:
      return torch::relu(x).square();
    case Kind::StarRelu:
      return torch::addcmul(bias_, torch::relu(x).square(), scale_);
  }
  return x;
}

}  // namespace ms
