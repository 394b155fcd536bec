// FlatParameters: packing keeps every parameter's values, names and shapes; parameters and
// gradients become views of the group buffers; training through the buffers with each optimizer
// gives the per-tensor optimizer's parameters; checkpoints of a packed model stay their size.
#include "worker/train/flat_parameters.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/worker/model_test_util.h"
#include "worker/models/model.h"
#include "worker/train/checkpoint.h"
#include "worker/train/parameter_roles.h"
#include "worker/train/trainer_loss.h"
#include "worker/train/trainer_optimizer.h"

namespace ms {
namespace {

// The shared tiny PoolFormer with an attention stage (parameters of every kind to pack).
nlohmann::json tiny_model(test::KeyValues extra = {}) {
  extra.insert(extra.begin(), {"model.mixers", {"pool", "attention"}});
  return test::tiny_image_job(extra);
}

std::vector<torch::Tensor> trainable(torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

FlatParameters pack_by_role(torch::nn::Module& m) {
  const DecaySplit split = split_by_weight_decay(m);
  return FlatParameters(split.decaying, split.others);
}

// Whether `p` is one of the parameters weight decay applies to (compared by identity).
bool is_decaying(torch::nn::Module& m, const torch::Tensor& p) {
  for (const auto& d : split_by_weight_decay(m).decaying)
    if (d.unsafeGetTensorImpl() == p.unsafeGetTensorImpl()) return true;
  return false;
}

bool inside(const torch::Tensor& view, const torch::Tensor& buffer) {
  const auto* begin = buffer.data_ptr<float>();
  const auto* p = view.data_ptr<float>();
  return p >= begin && p + view.numel() <= begin + buffer.numel();
}

TEST(FlatParameters, PackingKeepsValuesAndMakesViews) {
  torch::manual_seed(3);
  auto model = build_model(tiny_model());
  std::vector<std::pair<std::string, torch::Tensor>> before;
  for (const auto& p : model->named_parameters()) before.emplace_back(p.key(), p.value().detach().clone());
  const auto params = trainable(*model);
  ASSERT_TRUE(FlatParameters::can_pack(params));
  FlatParameters flat = pack_by_role(*model);

  int64_t total = 0;
  for (const auto& p : params) total += p.numel();
  EXPECT_EQ(flat.numel(), total);
  ASSERT_EQ(flat.decaying().size(), 1u);
  ASSERT_EQ(flat.others().size(), 1u);
  const auto named = model->named_parameters();
  ASSERT_EQ(named.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    const torch::Tensor& p = named[before[i].first];
    EXPECT_TRUE(torch::equal(p, before[i].second)) << before[i].first;
    EXPECT_TRUE(p.requires_grad()) << before[i].first;
    const torch::Tensor buffer = is_decaying(*model, p) ? flat.decaying()[0] : flat.others()[0];
    EXPECT_TRUE(inside(p, buffer)) << before[i].first << " is not a view of its group buffer";
    ASSERT_TRUE(p.grad().defined()) << before[i].first;
    EXPECT_TRUE(inside(p.grad(), buffer.grad())) << before[i].first << "'s gradient is not in the buffer";
  }

  // Backward accumulates into the buffers; zero_grad clears them and keeps the views.
  auto x = torch::randn({4, 1, 8, 8});
  auto y = torch::randint(0, 4, {4}, torch::kInt64);
  smoothed_cross_entropy_sum(model->forward(x), y, 0.0).backward();
  EXPECT_GT(flat.decaying()[0].grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(flat.others()[0].grad().abs().sum().item<double>(), 0.0);
  flat.zero_grad();
  for (const auto& p : params) {
    EXPECT_TRUE(inside(p.grad(), is_decaying(*model, p) ? flat.decaying()[0].grad() : flat.others()[0].grad()));
    EXPECT_EQ(p.grad().abs().sum().item<double>(), 0.0);
  }
  EXPECT_FALSE(FlatParameters::can_pack({}));
  EXPECT_FALSE(FlatParameters::can_pack({torch::zeros({2}), torch::zeros({2}, torch::kDouble).requires_grad_()}));
}

// Five steps through the buffers against five steps of the stock per-tensor optimizer.
void expect_same_training(const nlohmann::json& optimizer_cfg) {
  const auto config = tiny_model();
  torch::manual_seed(5);
  auto plain = build_model(config);
  torch::manual_seed(5);
  auto packed = build_model(config);
  auto plain_opt = make_optimizer(test::optimizer_config(optimizer_cfg), *plain);
  FlatParameters flat = pack_by_role(*packed);
  auto packed_opt = make_optimizer(test::optimizer_config(optimizer_cfg), flat.decaying(), flat.others());
  torch::manual_seed(9);
  for (int step = 0; step < 5; ++step) {
    auto x = torch::randn({6, 1, 8, 8});
    auto y = torch::randint(0, 4, {6}, torch::kInt64);
    plain_opt->zero_grad();
    flat.zero_grad();
    smoothed_cross_entropy_sum(plain->forward(x), y, 0.1).backward();
    smoothed_cross_entropy_sum(packed->forward(x), y, 0.1).backward();
    plain_opt->step();
    packed_opt->step();
  }
  const auto a = plain->named_parameters(), b = packed->named_parameters();
  double moved = 0;
  for (const auto& p : a) {
    EXPECT_TRUE(torch::allclose(p.value(), b[p.key()], 1e-5, 1e-6))
        << optimizer_cfg.dump() << " " << p.key() << " differs by "
        << (p.value() - b[p.key()]).abs().max().item<double>();
    if (p.value().grad().defined()) moved += p.value().grad().abs().sum().item<double>();
  }
  EXPECT_GT(moved, 0.0);
}

TEST(FlatParameters, TrainsLikeThePerTensorOptimizers) {
  expect_same_training({{"name", "adamw"}, {"lr", 1e-2}, {"weight_decay", 0.05}});
  expect_same_training({{"name", "adam"}, {"lr", 1e-2}, {"weight_decay", 0.01}});
  expect_same_training({{"name", "sgd"}, {"lr", 5e-2}, {"momentum", 0.9}, {"nesterov", true}, {"weight_decay", 1e-3}});
}

TEST(FlatParameters, CheckpointsKeepTheirSizeAndRoundTrip) {
  const auto config = tiny_model();
  const nlohmann::json opt_cfg = {{"name", "adamw"}, {"lr", 1e-2}, {"weight_decay", 0.05}};
  torch::manual_seed(1);
  auto plain = build_model(config);
  auto plain_opt = make_optimizer(test::optimizer_config(opt_cfg), *plain);
  torch::manual_seed(1);
  auto packed = build_model(config);
  FlatParameters flat = pack_by_role(*packed);
  auto packed_opt = make_optimizer(test::optimizer_config(opt_cfg), flat.decaying(), flat.others());
  auto x = torch::randn({4, 1, 8, 8});
  auto y = torch::randint(0, 4, {4}, torch::kInt64);
  smoothed_cross_entropy_sum(plain->forward(x), y, 0.0).backward();
  smoothed_cross_entropy_sum(packed->forward(x), y, 0.0).backward();
  plain_opt->step();
  packed_opt->step();
  CheckpointState state;
  const std::string plain_bytes = encode_checkpoint(*plain, *plain_opt, state);
  const std::string packed_bytes = encode_checkpoint(*packed, *packed_opt, state);
  // Each view is written once, not with the whole buffer behind it.
  EXPECT_LT(double(packed_bytes.size()), 1.25 * double(plain_bytes.size()))
      << packed_bytes.size() << " vs " << plain_bytes.size() << " bytes";

  torch::manual_seed(2);  // other initial values, overwritten by the checkpoint
  auto restored = build_model(config);
  FlatParameters restored_flat = pack_by_role(*restored);
  auto restored_opt = make_optimizer(test::optimizer_config(opt_cfg), restored_flat.decaying(), restored_flat.others());
  decode_checkpoint(packed_bytes, *restored, *restored_opt);
  for (const auto& p : packed->named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), restored->named_parameters()[p.key()])) << p.key();
  // The same optimizer state: one more identical step keeps them equal.
  for (auto* pair : {&flat, &restored_flat}) pair->zero_grad();
  smoothed_cross_entropy_sum(packed->forward(x), y, 0.0).backward();
  smoothed_cross_entropy_sum(restored->forward(x), y, 0.0).backward();
  packed_opt->step();
  restored_opt->step();
  EXPECT_TRUE(torch::equal(flat.decaying()[0], restored_flat.decaying()[0]));
  EXPECT_TRUE(torch::equal(flat.others()[0], restored_flat.others()[0]));

  // A checkpoint of the other layout is refused with a clear message before the model is touched.
  auto unpacked = build_model(config);
  auto unpacked_opt = make_optimizer(test::optimizer_config(opt_cfg), *unpacked);
  std::vector<torch::Tensor> untouched;
  for (const auto& p : unpacked->parameters()) untouched.push_back(p.detach().clone());
  try {
    decode_checkpoint(packed_bytes, *unpacked, *unpacked_opt);
    ADD_FAILURE() << "a packed checkpoint loaded into a per-tensor optimizer";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another parameter layout"), std::string::npos) << e.what();
  }
  for (size_t i = 0; i < untouched.size(); ++i) {
    EXPECT_TRUE(torch::equal(unpacked->parameters()[i], untouched[i]));
  }
}

}  // namespace
}  // namespace ms
