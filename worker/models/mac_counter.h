// fvcore-style multiply-accumulate counting. Every module routes its convolutions, linears
// and matmuls through the wrappers below; while a MacCountScope is alive on this thread they
// add the MACs implied by the shapes to its total. Outside a scope the wrappers cost one
// thread-local pointer test. Pooling, norms, activations and FFTs are not counted (fvcore).
#pragma once
#include <cstdint>

#include <torch/torch.h>

namespace ms {

// Counts MACs on the current thread for its lifetime (scopes nest; the innermost wins).
class MacCountScope {
 public:
  MacCountScope();
  ~MacCountScope();
  MacCountScope(const MacCountScope&) = delete;
  MacCountScope& operator=(const MacCountScope&) = delete;
  int64_t macs() const { return macs_; }

 private:
  int64_t macs_ = 0;
  MacCountScope* outer_ = nullptr;
};

bool mac_counting();
void add_macs(int64_t macs);  // no-op outside a scope

// Counted ops, called qualified (counted::linear) so ADL never confuses them with ATen's. Shapes
// follow LibTorch; MACs: conv = out_elems * Cin/groups * kh * kw,
// linear = out_elems * in_features, matmul = out_elems * inner dimension.
namespace counted {
torch::Tensor conv2d(const torch::Tensor& x, torch::nn::Conv2d& conv);
torch::Tensor linear(const torch::Tensor& x, torch::nn::Linear& fc);
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);
torch::Tensor matmul(const torch::Tensor& a, const torch::Tensor& b);
torch::Tensor depthwise_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::IntArrayRef padding);
}  // namespace counted

}  // namespace ms
