// Fingerprints and their cross-rank comparison (see rank_consistency.h).
#include "worker/dist/rank_consistency.h"

#include <cstdio>

#include "worker/train/fnv1a.h"

namespace ms {

namespace {

std::string hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

uint64_t structure_fingerprint(const nlohmann::json& config, int64_t seed, const torch::nn::Module& model) {
  uint64_t h = kFnv1aOffset;
  fnv1a_update(h, config.dump());
  fnv1a_update(h, &seed, sizeof seed);
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    fnv1a_update(h, name);
    for (int64_t d : t.sizes()) fnv1a_update(h, &d, sizeof d);
    const int dtype = static_cast<int>(t.scalar_type());
    fnv1a_update(h, &dtype, sizeof dtype);
  };
  for (const auto& p : model.named_parameters()) add(p.key(), p.value());
  for (const auto& b : model.named_buffers()) add(b.key(), b.value());
  return h;
}

uint64_t parameter_fingerprint(const torch::nn::Module& model) {
  uint64_t h = kFnv1aOffset;
  auto add = [&](const std::string& name, const torch::Tensor& value) {
    const torch::Tensor t = value.detach().to(torch::kCPU).contiguous();
    fnv1a_update(h, name);
    fnv1a_update(h, t.data_ptr(), static_cast<size_t>(t.numel()) * t.element_size());
  };
  for (const auto& p : model.named_parameters()) add(p.key(), p.value());
  // BatchNorm's statistics: rank 0's since the last evaluation.
  for (const auto& b : model.named_buffers()) add(b.key(), b.value());
  return h;
}

void require_same_on_all_ranks(uint64_t value, Communicator& comm, const std::string& what) {
  // Two exact 32-bit halves in doubles: the communicators carry float and double tensors.
  auto mine = torch::tensor({double(value >> 32), double(value & 0xffffffffULL)}, torch::kDouble);
  auto root = mine.clone();
  comm.broadcast(root, 0);
  const bool differs = !torch::equal(mine, root);
  auto flags = torch::tensor({differs ? 1.0 : 0.0}, torch::kDouble);
  comm.all_reduce_sum(flags);
  const int disagreeing = static_cast<int>(flags.item<double>());
  if (disagreeing > 0) {
    const uint64_t root_value = (uint64_t(root[0].item<double>()) << 32) | uint64_t(root[1].item<double>());
    throw std::runtime_error("ranks of this job disagree on " + what + ": " + std::to_string(disagreeing) + " of " +
                             std::to_string(comm.size()) + " ranks differ from rank 0 (rank " +
                             std::to_string(comm.rank()) + " has " + hex(value) + ", rank 0 has " + hex(root_value) +
                             ")");
  }
}

}  // namespace ms
