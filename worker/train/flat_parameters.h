// Trainable parameters and their gradients packed into a few contiguous buffers, so that the
// per-step work over "every parameter" is a handful of large operations instead of a few small
// ones per tensor: the optimizer updates one buffer per parameter group (weights that decay,
// and the rest), zeroing the gradients is one fill per buffer, gradient clipping takes one norm
// per buffer and the all-reduce needs no per-tensor copies (a buffer that fills a bucket alone is
// reduced where it lies; smaller ones share one bucket and one call) (the idea of apex's
// multi-tensor apply and of llm.c's single parameter block, with the stock LibTorch optimizers).
//
// After packing, each parameter is a view of its group's buffer (same values, shapes and module
// names) and its .grad a view of the group's gradient buffer, which backward accumulates into
// in place. The optimizers see only the buffers: AdamW/Adam/SGD are elementwise, so the update
// is the per-tensor one. Gradients must therefore be zeroed with zero_grad() here, never with
// Optimizer::zero_grad(), which on LibTorch 2.x drops them (set_to_none) and with them the views.
#pragma once
#include <vector>

#include <torch/torch.h>

namespace ms {

class FlatParameters {
 public:
  // Whether `params` can be packed: at least one, all of one dtype and device, all requiring grad.
  static bool can_pack(const std::vector<torch::Tensor>& params);

  // Packs `decaying` (the parameters weight decay applies to, parameter_roles.h) into one buffer
  // and `others` into another (together they must pass can_pack; throws std::invalid_argument
  // otherwise). Call it after the model has reached its device and dtype: moving the model
  // afterwards unpacks it silently.
  FlatParameters(const std::vector<torch::Tensor>& decaying, const std::vector<torch::Tensor>& others);

  // The group buffers: leaf tensors whose .grad is the group's gradient buffer. decaying() or
  // others() is empty when no parameter belongs to that group.
  std::vector<torch::Tensor> decaying() const;
  std::vector<torch::Tensor> others() const;
  std::vector<torch::Tensor> buffers() const;  // both groups, decaying first
  int64_t numel() const;

  // Sets every gradient to zero (one fill per buffer); the views stay in place.
  void zero_grad();

 private:
  torch::Tensor decay_, other_;
};

}  // namespace ms
