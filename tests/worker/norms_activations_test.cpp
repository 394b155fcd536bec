// Norm and activation tests: which axes each norm normalises, and the activation formulas.
#include <gtest/gtest.h>

#include "worker/models/activations.h"
#include "worker/models/norms.h"

namespace ms {
namespace {

TEST(Norm, LayerNormAndRmsNormWorkPerPosition) {
  auto x = torch::randn({2, 8, 3, 5}) * 3 + 1;
  auto ln = Norm("layernorm", 8)->forward(x);
  EXPECT_TRUE(torch::allclose(ln.mean(1), torch::zeros({2, 3, 5}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(ln.var(1, false), torch::ones({2, 3, 5}), 1e-3, 1e-3));
  auto rms = Norm("rmsnorm", 8)->forward(x);
  EXPECT_TRUE(torch::allclose(rms.square().mean(1), torch::ones({2, 3, 5}), 1e-3, 1e-3));
  // Per position: changing one position leaves the others alone.
  auto x2 = x.clone();
  x2.select(3, 4).mul_(5);
  auto ln2 = Norm("layernorm", 8)->forward(x2);
  EXPECT_TRUE(torch::allclose(ln.narrow(3, 0, 4), ln2.narrow(3, 0, 4), 1e-5, 1e-6));
}

// The layer norm runs the native kernel on a channels-last view; it must equal the formula
// over dim 1 (weight and bias per channel), in value and in every gradient, for 4-d and 3-d input.
TEST(Norm, LayerNormMatchesTheFormulaAndItsGradients) {
  for (const auto& shape : std::vector<std::vector<int64_t>>{{3, 6, 4, 5}, {2, 6, 7}}) {
    auto norm = Norm("layernorm", 6);
    {
      torch::NoGradGuard no_grad;
      norm->named_parameters()["weight"].normal_();
      norm->named_parameters()["bias"].normal_();
    }
    auto w = norm->named_parameters()["weight"], b = norm->named_parameters()["bias"];
    std::vector<int64_t> pshape(shape.size(), 1);
    pshape[1] = 6;
    auto x = (torch::randn(shape) * 2 + 0.5).requires_grad_(true);
    auto xr = x.detach().clone().requires_grad_(true);
    auto wr = w.detach().clone().view(pshape).requires_grad_(true);
    auto br = b.detach().clone().view(pshape).requires_grad_(true);
    auto mean = xr.mean(1, true);
    auto var = (xr - mean).square().mean(1, true);
    auto ref = (xr - mean) / torch::sqrt(var + 1e-5) * wr + br;
    auto y = norm->forward(x);
    ASSERT_EQ(y.sizes(), x.sizes());
    EXPECT_TRUE(y.is_contiguous());
    EXPECT_TRUE(torch::allclose(y, ref, 1e-4, 1e-5));
    auto g = torch::randn(shape);
    (y * g).sum().backward();
    (ref * g).sum().backward();
    EXPECT_TRUE(torch::allclose(x.grad(), xr.grad(), 1e-3, 1e-4));
    EXPECT_TRUE(torch::allclose(w.grad().view(-1), wr.grad().view(-1), 1e-3, 1e-4));
    EXPECT_TRUE(torch::allclose(b.grad().view(-1), br.grad().view(-1), 1e-3, 1e-4));
  }
}

TEST(Norm, Group1NormalisesWholeExample) {
  auto x = torch::randn({2, 8, 3, 5}) * 3 + 1;
  auto y = Norm("group1", 8)->forward(x);
  EXPECT_TRUE(torch::allclose(y.mean({1, 2, 3}), torch::zeros({2}), 1e-5, 1e-5));
  EXPECT_FALSE(torch::allclose(y.mean(1), torch::zeros({2, 3, 5}), 1e-3, 1e-3));
  auto bn = Norm("batchnorm", 8);
  EXPECT_TRUE(torch::allclose(bn->forward(x).mean({0, 2, 3}), torch::zeros({8}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::equal(Norm("none", 8)->forward(x), x));
  EXPECT_THROW(Norm("groupnorm", 8), std::invalid_argument);
}

TEST(Activation, Formulas) {
  auto x = torch::tensor({-2.0, -0.5, 0.0, 0.5, 2.0});
  auto relu = torch::relu(x);
  EXPECT_TRUE(torch::allclose(Activation("relu")->forward(x), relu));
  EXPECT_TRUE(torch::allclose(Activation("squared_relu")->forward(x), relu * relu));
  EXPECT_TRUE(torch::allclose(Activation("silu")->forward(x), x * torch::sigmoid(x)));
  EXPECT_TRUE(torch::allclose(Activation("gelu")->forward(x), torch::gelu(x)));
  auto star = Activation("starrelu");
  EXPECT_EQ(star->parameters().size(), 2u);
  EXPECT_TRUE(torch::allclose(star->forward(x), relu * relu));  // s = 1, b = 0 at init
  {
    torch::NoGradGuard no_grad;
    star->named_parameters()["scale"].fill_(2.0);
    star->named_parameters()["bias"].fill_(0.5);
  }
  EXPECT_TRUE(torch::allclose(star->forward(x), 2 * relu * relu + 0.5));
  EXPECT_THROW(Activation("tanh"), std::invalid_argument);
}

}  // namespace
}  // namespace ms
