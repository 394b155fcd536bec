// Packing parameters and gradients into group buffers (see flat_parameters.h).
#include "worker/train/flat_parameters.h"

#include <stdexcept>

namespace ms {

namespace {

// One buffer holding `members` back to back; each member becomes a view of it, and its .grad a
// view of the buffer's zeroed gradient.
torch::Tensor pack(const std::vector<torch::Tensor>& members) {
  if (members.empty()) return {};
  int64_t total = 0;
  for (const auto& p : members) total += p.numel();
  const auto options = members.front().options().requires_grad(false);
  torch::Tensor flat = torch::empty({total}, options), grad = torch::zeros({total}, options);
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const auto& p : members) {
    const int64_t n = p.numel();
    torch::Tensor view = flat.narrow(0, offset, n).view(p.sizes());
    view.copy_(p.detach());
    // set_data keeps p's identity (module registration, autograd leaf, version counter) and
    // points it at the slice: the module now trains the buffer's elements.
    torch::Tensor(p).set_data(view);
    torch::Tensor(p).mutable_grad() = grad.narrow(0, offset, n).view(p.sizes());
    offset += n;
  }
  flat.set_requires_grad(true);
  flat.mutable_grad() = grad;
  return flat;
}

}  // namespace

bool FlatParameters::can_pack(const std::vector<torch::Tensor>& params) {
  if (params.empty()) return false;
  for (const auto& p : params)
    if (!p.requires_grad() || p.scalar_type() != params.front().scalar_type() ||
        p.device() != params.front().device() || p.is_sparse())
      return false;
  return true;
}

FlatParameters::FlatParameters(const std::vector<torch::Tensor>& decaying, const std::vector<torch::Tensor>& others) {
  std::vector<torch::Tensor> all = decaying;
  all.insert(all.end(), others.begin(), others.end());
  if (!can_pack(all))
    throw std::invalid_argument("FlatParameters: parameters must be trainable and of one dtype and device");
  decay_ = pack(decaying);
  other_ = pack(others);
}

std::vector<torch::Tensor> FlatParameters::decaying() const {
  return decay_.defined() ? std::vector<torch::Tensor>{decay_} : std::vector<torch::Tensor>{};
}

std::vector<torch::Tensor> FlatParameters::others() const {
  return other_.defined() ? std::vector<torch::Tensor>{other_} : std::vector<torch::Tensor>{};
}

std::vector<torch::Tensor> FlatParameters::buffers() const {
  std::vector<torch::Tensor> all = decaying();
  for (auto& t : others()) all.push_back(t);
  return all;
}

int64_t FlatParameters::numel() const {
  return (decay_.defined() ? decay_.numel() : 0) + (other_.defined() ? other_.numel() : 0);
}

void FlatParameters::zero_grad() {
  for (torch::Tensor* t : {&decay_, &other_})
    if (t->defined()) t->mutable_grad().zero_();
}

}  // namespace ms
