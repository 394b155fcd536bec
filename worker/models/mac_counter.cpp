// Thread-local MAC counter and the counted op wrappers (see mac_counter.h).
#include "worker/models/mac_counter.h"

namespace ms {

namespace {
thread_local MacCountScope* tl_active = nullptr;
thread_local int64_t* tl_sink = nullptr;
}  // namespace

MacCountScope::MacCountScope() : outer_(tl_active) {
  tl_active = this;
  tl_sink = &macs_;
}

MacCountScope::~MacCountScope() {
  tl_active = outer_;
  tl_sink = outer_ ? &outer_->macs_ : nullptr;
}

bool mac_counting() { return tl_sink != nullptr; }

void add_macs(int64_t macs) {
  if (tl_sink) *tl_sink += macs;
}

namespace counted {

torch::Tensor conv2d(const torch::Tensor& x, torch::nn::Conv2d& conv) {
  torch::Tensor y = conv->forward(x);
  if (tl_sink) {
    const auto& w = conv->weight;  // out × in/groups × kh × kw
    *tl_sink += y.numel() * w.size(1) * w.size(2) * w.size(3);
  }
  return y;
}

torch::Tensor linear(const torch::Tensor& x, torch::nn::Linear& fc) {
  torch::Tensor y = fc->forward(x);
  if (tl_sink) *tl_sink += y.numel() * fc->weight.size(1);
  return y;
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  torch::Tensor y = torch::linear(x, weight, bias);
  if (tl_sink) *tl_sink += y.numel() * weight.size(1);
  return y;
}

torch::Tensor matmul(const torch::Tensor& a, const torch::Tensor& b) {
  torch::Tensor y = torch::matmul(a, b);
  if (tl_sink) *tl_sink += y.numel() * a.size(-1);
  return y;
}

torch::Tensor depthwise_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::IntArrayRef padding) {
  torch::Tensor y = torch::conv2d(x, weight, bias, /*stride=*/1, padding, /*dilation=*/1, /*groups=*/x.size(1));
  if (tl_sink) *tl_sink += y.numel() * weight.size(1) * weight.size(2) * weight.size(3);
  return y;
}

}  // namespace counted

}  // namespace ms
