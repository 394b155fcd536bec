// Gradient buckets: layout once, then copy-in / all-reduce / copy-out per step.
#include "worker/dist/grad_bucketer.h"

namespace ms {

GradBucketer::GradBucketer(const std::vector<torch::Tensor>& params, Communicator& comm, int64_t bucket_bytes)
    : comm_(comm) {
  std::vector<std::vector<torch::Tensor>> groups;
  std::vector<int64_t> group_bytes;
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    const torch::Tensor& p = *it;
    if (!p.requires_grad()) continue;
    const int64_t bytes = p.numel() * int64_t(p.element_size());
    const bool fits = !groups.empty() && groups.back().front().scalar_type() == p.scalar_type() &&
                      groups.back().front().device() == p.device() && group_bytes.back() + bytes <= bucket_bytes;
    if (!fits) {
      groups.emplace_back();
      group_bytes.push_back(0);
    }
    groups.back().push_back(p);
    group_bytes.back() += bytes;
  }
  for (auto& group : groups) {
    int64_t total = 0;
    for (auto& p : group) total += p.numel();
    Bucket b;
    b.flat = torch::zeros({total}, group.front().options().requires_grad(false));
    int64_t offset = 0;
    for (auto& p : group) {
      b.views.push_back(b.flat.narrow(0, offset, p.numel()).view(p.sizes()));
      offset += p.numel();
    }
    b.params = std::move(group);
    buckets_.push_back(std::move(b));
  }
}

void GradBucketer::all_reduce(double scale) {
  torch::NoGradGuard no_grad;
  for (auto& b : buckets_) {
    // A bucket of one tensor whose gradient is already contiguous (a FlatParameters buffer)
    // is reduced where it lies.
    if (b.params.size() == 1 && b.params[0].grad().defined() && b.params[0].grad().is_contiguous()) {
      torch::Tensor g = b.params[0].grad();
      comm_.all_reduce_sum(g);
      if (scale != 1.0) g.mul_(scale);
      continue;
    }
    for (size_t i = 0; i < b.params.size(); ++i) {
      const torch::Tensor& g = b.params[i].grad();
      if (g.defined())
        b.views[i].copy_(g);
      else
        b.views[i].zero_();
    }
    comm_.all_reduce_sum(b.flat);
    if (scale != 1.0) b.flat.mul_(scale);
    for (size_t i = 0; i < b.params.size(); ++i) {
      torch::Tensor& g = b.params[i].mutable_grad();
      if (g.defined())
        g.copy_(b.views[i]);
      else
        g = b.views[i].clone();
    }
  }
}

}  // namespace ms
