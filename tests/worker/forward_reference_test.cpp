// Every model computes its formula: forward and gradient equivalence against an independent
// PyTorch definition of the model family (tests/worker/forward_reference.py, float64). Each case
// is a resolved config built with build_model exactly as a sweep file resolves it; its parameters
// and BatchNorm statistics are perturbed with seeded noise (so a misplaced layer scale, norm
// affine or bias shows); metasweep runs forward in eval mode and the backward of
// sum(output · cotangent); the reference rebuilds the model from the config, loads the tensors by
// name (a missing or an unexpected one is an error) and does the same. Output, input gradient and
// every parameter gradient must agree relative to the tensor's scale: to 1e-9 with metasweep's
// model cast to float64 (the formula check), and to float32 rounding in float32 (what jobs run).
//
// Coverage is enumerated from the registries, so a new mixer, norm, activation, block form or
// position encoding without a reference fails here: every mixer in the image model and in the
// sequence model (post-norm, the Key-Value Transformer setup) and, where it has one, in its causal
// form (charlm); every norm and activation; both block forms; layer scale off; no channel MLP; no
// residual; hybrids (the position embedding); other pool sizes, head counts, stems and
// downsamplings; positions and norm positions of the sequence model.
#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "sweeps/config_schema.h"
#include "sweeps/run_config.h"
#include "tests/test_support.h"
#include "tests/worker/forward_reference_file.h"
#include "tests/worker/model_test_util.h"
#include "worker/mixers/registry.h"
#include "worker/models/model.h"
#include "worker/models/sequence_model.h"

namespace ms {
namespace {

using test::KeyValues;
using test::Named;
using test::read_result_file;
using test::write_case_file;

// Tolerances, relative to the tensor's scale. float64 (metasweep's model cast exactly to double,
// against the float64 reference): what is left is summation order (measured: 2e-15 on outputs,
// 2e-13 on gradients), so any formula slip -- an eps of 1e-6 for 1e-5, GELU's tanh form, both
// below 1e-4 at the output -- is far above 1e-9. float32 (what jobs run): outputs within 1e-5
// (measured 6e-7); parameter gradients within 1e-3 (measured 2e-4), because a bias or norm
// gradient sums many terms that cancel, so float32 rounding of the terms dominates the small sum
// (worst: the first downsampling's bias in the model without residuals).
constexpr double kTolerance64 = 1e-9;
constexpr double kTolerance32 = 1e-5;
constexpr double kGradientTolerance32 = 1e-3;
// A gradient's scale is at least this fraction of the case's largest parameter gradient: a tensor
// whose exact gradient is (near) zero -- kv_pos_attention's b, which softmax ignores -- is judged
// against the model's gradient scale instead of its own rounding noise.
constexpr double kGradientFloor = 1e-3;
constexpr int64_t kBatch = 2;

struct Case {
  std::string name;
  KeyValues values;
};

std::vector<std::string> choices(const std::string& key) {
  const KeySpec* spec = find_key_spec(key);
  if (!spec) throw std::logic_error("no schema key " + key);
  return spec->choices;
}

KeyValues with(KeyValues base, const KeyValues& extra) {
  base.insert(base.end(), extra.begin(), extra.end());
  return base;
}

// PoolFormer's layout at 32×32: stem k7 s4 → 8×8 (64 tokens), downsample → 4×4; heads of 8 channels.
KeyValues image_base() {
  return {{"task.dataset", "synthetic-images"},
          {"task.image_size", 32},
          {"task.channels", 3},
          {"task.num_classes", 5},
          {"model.depths", {2, 1}},
          {"model.dims", {16, 32}},
          {"model.head_dim", 8},
          {"model.drop_path", 0.2}};  // eval mode must ignore it
}

std::vector<Case> image_cases() {
  std::vector<Case> cases;
  auto add = [&](const std::string& name, const KeyValues& extra) {
    cases.push_back({"image " + name, with(image_base(), extra)});
  };
  for (const auto& mixer : test::all_mixers()) add("mixer=" + mixer, {{"model.mixers", mixer}});
  add("mixer=pool pool_size=5", {{"model.mixers", "pool"}, {"model.pool_size", 5}});
  add("mixer=pool pool_size=7", {{"model.mixers", "pool"}, {"model.pool_size", 7}});
  add("mixer=dwconv pool_size=5", {{"model.mixers", "dwconv"}, {"model.pool_size", 5}});
  add("mixer=attention heads=1", {{"model.mixers", "attention"}, {"model.heads", 1}});
  for (const auto& norm : choices("model.norm")) add("norm=" + norm, {{"model.norm", norm}});
  for (const auto& act : choices("model.activation")) add("activation=" + act, {{"model.activation", act}});
  for (const auto& form : choices("model.block"))  // a block form other than metaformer needs its own mixer
    add("block=" + form, {{"model.block", form}, {"model.mixers", form == "metaformer" ? "pool" : form}});
  add("block=gmlp activation=starrelu",
      {{"model.block", "gmlp"}, {"model.mixers", "gmlp"}, {"model.activation", "starrelu"}});
  add("layer_scale=0", {{"model.layer_scale", 0.0}});
  add("channel_mlp=false mixer=attention", {{"model.channel_mlp", false}, {"model.mixers", "attention"}});
  add("residual=false", {{"model.residual", false}});
  add("mlp_ratio=3", {{"model.mlp_ratio", 3}});
  add("hybrid [pool, attention]", {{"model.mixers", {"pool", "attention"}}});
  add("hybrid [spatial_fc, kv_pos_attention]", {{"model.mixers", {"spatial_fc", "kv_pos_attention"}}});
  add("hybrid 3 stages [pool, pool, kv_attention]",
      {{"model.mixers", {"pool", "pool", "kv_attention"}}, {"model.depths", {1, 1, 1}}, {"model.dims", {8, 16, 24}}});
  add("stem k3 s2 p1, downsample k2 s2 p0", {{"model.stem.kernel", 3},
                                             {"model.stem.stride", 2},
                                             {"model.stem.padding", 1},
                                             {"model.downsample.kernel", 2},
                                             {"model.downsample.stride", 2},
                                             {"model.downsample.padding", 0}});
  return cases;
}

// The Key-Value Transformer's synthetic-task encoder (sweeps/kv_transformer_synthetic.yaml) at
// length 12: post-norm, sinusoidal positions, layer norm, ReLU, no layer scale.
KeyValues sequence_base() {
  return {{"task.dataset", "copy"},
          {"task.seq_len", 12},
          {"model.arch", "sequence"},
          {"model.depths", {2}},
          {"model.dims", {16}},
          {"model.head_dim", 8},
          {"model.norm", "layernorm"},
          {"model.norm_position", "post"},
          {"model.positions", "sinusoidal"},
          {"model.activation", "relu"},
          {"model.layer_scale", 0.0},
          {"model.drop_path", 0.1},
          {"model.init", "pytorch"}};
}

std::vector<Case> sequence_cases() {
  std::vector<Case> cases;
  auto add = [&](const std::string& name, const KeyValues& extra) {
    cases.push_back({"sequence " + name, with(sequence_base(), extra)});
  };
  for (const auto& mixer : test::all_mixers()) add("mixer=" + mixer, {{"model.mixers", mixer}});
  // charlm: next-byte prediction, every mixer in its causal form; pre-norm with layer scale.
  const KeyValues charlm = {{"task.dataset", "charlm"},
                            {"task.text_file", "/dev/null"},
                            {"model.norm_position", "pre"},
                            {"model.layer_scale", 1e-5}};
  for (const auto& entry : mixer_registry())
    if (entry.traits.causal_ok)
      add("charlm mixer=" + entry.traits.name, with(charlm, {{"model.mixers", entry.traits.name}}));
  add("charlm mixer=pool pool_size=5", with(charlm, {{"model.mixers", "pool"}, {"model.pool_size", 5}}));
  add("charlm mixer=dwconv pool_size=5", with(charlm, {{"model.mixers", "dwconv"}, {"model.pool_size", 5}}));
  for (const auto& positions : choices("model.positions"))
    add("mixer=kv_attention positions=" + positions,
        {{"model.mixers", "kv_attention"}, {"model.positions", positions}});
  for (const auto& where : choices("model.norm_position"))
    add("mixer=attention norm_position=" + where, {{"model.mixers", "attention"}, {"model.norm_position", where}});
  add("block=gmlp", {{"model.block", "gmlp"}, {"model.mixers", "gmlp"}});
  add("mixer=kv_pos_attention norm=rmsnorm activation=gelu",
      {{"model.mixers", "kv_pos_attention"}, {"model.norm", "rmsnorm"}, {"model.activation", "gelu"}});
  return cases;
}

// Seeded noise on every trainable parameter (constant-initialised ones -- layer scales, norm
// affines, StarReLU's scalars, position tables, gating biases -- get more) and BatchNorm's running
// statistics. Frozen parameters (random's matrix) and geometry buffers (masks, indices, fixed
// positions) stay: they are part of the formula, which the reference checks.
void perturb(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& item : model.named_parameters()) {
    torch::Tensor& p = item.value();
    if (!p.requires_grad()) continue;
    const bool constant = (p.max() == p.min()).item<bool>();
    p.add_(torch::randn_like(p) * (constant ? 0.3 : 0.05));
  }
  for (auto& item : model.named_buffers()) {
    const std::string& name = item.key();
    auto ends_with = [&](const std::string& tail) {
      return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
    };
    if (ends_with("running_mean")) item.value().add_(torch::randn_like(item.value()) * 0.3);
    if (ends_with("running_var")) item.value().mul_(torch::rand_like(item.value()) + 0.5);
  }
}

// metasweep's side of one case: the perturbed model's tensors, input, cotangent, and its own
// output and gradients ("output", "grad:input", "grad:<parameter>"), computed twice: in float32
// (what jobs train in) and, the same values cast exactly, in float64 (where any difference from the
// reference is a formula, not rounding).
struct Prepared {
  std::string name;
  nlohmann::json config;
  std::vector<Named> state;
  torch::Tensor input, cotangent;
  std::map<std::string, torch::Tensor> ours32, ours64;
};

std::map<std::string, torch::Tensor> forward_backward(ModelImpl& model, const torch::Tensor& input,
                                                      const torch::Tensor& cotangent) {
  for (auto& p : model.parameters()) p.mutable_grad() = torch::Tensor();
  torch::Tensor x = input.is_floating_point() ? input.clone().requires_grad_(true) : input;
  torch::Tensor y = model.forward(x);
  (y * cotangent.to(y.dtype())).sum().backward();
  std::map<std::string, torch::Tensor> out{{"output", y.detach()}};
  if (x.requires_grad()) out["grad:input"] = x.grad();
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    const torch::Tensor& g = item.value().grad();
    out["grad:" + item.key()] = g.defined() ? g.clone() : torch::zeros_like(item.value());
  }
  return out;
}

// Every floating-point parameter and buffer to float64 in place (Module::to would convert integer
// buffers -- kv_pos_attention's pair index -- too).
void to_double(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters()) p.set_data(p.to(torch::kDouble));
  for (auto& b : model.buffers())
    if (b.is_floating_point()) b.set_data(b.to(torch::kDouble));
}

Prepared prepare(const Case& c, uint64_t seed) {
  Prepared p;
  p.name = c.name;
  p.config = test::make_config(c.values);
  torch::manual_seed(static_cast<int64_t>(seed));
  auto model = build_model(p.config);
  perturb(*model);
  model->eval();
  for (const auto& item : model->named_parameters())
    p.state.push_back({item.key(), item.value().detach().clone(), item.value().requires_grad()});
  for (const auto& item : model->named_buffers()) p.state.push_back({item.key(), item.value().clone(), false});

  const RunConfig run = run_config(p.config);
  if (run.model.arch == "sequence") {
    const auto* sequence = dynamic_cast<SequenceModelImpl*>(model.get());
    if (!sequence) throw std::logic_error("model.arch sequence built no SequenceModelImpl");
    p.input = torch::randint(0, sequence->vocab(), {kBatch, run.task.seq_len}, torch::kLong);
  } else {
    p.input = torch::randn({kBatch, run.task.channels, run.task.image_size, run.task.image_size});
  }
  {
    torch::NoGradGuard no_grad;
    p.cotangent = torch::randn_like(model->forward(p.input));
  }
  p.ours32 = forward_backward(*model, p.input, p.cotangent);
  to_double(*model);
  p.ours64 = forward_backward(*model, p.input.is_floating_point() ? p.input.to(torch::kDouble) : p.input,
                              p.cotangent.to(torch::kDouble));
  return p;
}

struct Worst {
  double error = 0;
  std::string where;
  void see(double e, const std::string& w) {
    if (e > error) error = e, where = w;
  }
  std::string text() const {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1e", error);
    return buffer + (" (" + where + ")");
  }
};

// One side's tensors against the reference's: the same names, and each within its tolerance of
// the reference relative to the tensor's scale. One failure per model and dtype, naming the output
// (when it differs) and the worst few tensors.
void compare(const std::string& model, const char* dtype, const std::map<std::string, torch::Tensor>& ours,
             const std::map<std::string, torch::Tensor>& theirs, double output_tolerance, double gradient_tolerance,
             Worst& output, Worst& gradient) {
  double grad_scale = 0;
  for (const auto& [name, t] : theirs)
    if (name.rfind("grad:", 0) == 0 && name != "grad:input")
      grad_scale = std::max(grad_scale, t.abs().max().item<double>());
  struct Miss {
    std::string name;
    double relative, diff, scale;
  };
  std::vector<Miss> misses;
  for (const auto& [name, mine] : ours) {
    auto it = theirs.find(name);
    if (it == theirs.end()) {
      ADD_FAILURE() << "model '" << model << "': the reference returns no " << name;
      continue;
    }
    const torch::Tensor ref = it->second.to(torch::kDouble);
    if (mine.sizes() != ref.sizes()) {
      ADD_FAILURE() << "model '" << model << "', " << name << ": shape " << mine.sizes() << ", the reference's "
                    << ref.sizes();
      continue;
    }
    const bool is_output = name == "output";
    double scale = ref.abs().max().item<double>();
    if (!is_output) scale = std::max(scale, kGradientFloor * grad_scale);
    const double diff = (mine.to(torch::kDouble) - ref).abs().max().item<double>();
    const double relative = scale > 0 ? diff / scale : diff;
    (is_output ? output : gradient).see(relative, model + " / " + name);
    // NaN fails too: the comparison is written so that it must hold.
    if (!(relative <= (is_output ? output_tolerance : gradient_tolerance)))
      misses.push_back({name, relative, diff, scale});
  }
  if (misses.empty()) return;
  std::stable_sort(misses.begin(), misses.end(), [](const Miss& a, const Miss& b) {
    if ((a.name == "output") != (b.name == "output")) return a.name == "output";
    return a.relative > b.relative;
  });
  std::ostringstream message;
  message << "model '" << model << "', " << dtype << ": " << misses.size() << " of " << ours.size()
          << " tensors differ from the reference (tolerance " << output_tolerance << " output, " << gradient_tolerance
          << " gradients, relative to the tensor's scale):";
  for (size_t i = 0; i < misses.size() && i < 5; ++i)
    message << "\n  " << misses[i].name << ": relative " << misses[i].relative << " (max |metasweep - reference| "
            << misses[i].diff << ", scale " << misses[i].scale << ")";
  if (misses.size() > 5) message << "\n  ...";
  ADD_FAILURE() << message.str();
}

// Runs the cases through metasweep and the reference (one python process) and compares.
void check_against_reference(const std::vector<Case>& cases, const std::string& label) {
  test::TempDir dir;
  std::vector<Prepared> prepared;
  std::string args;
  for (size_t i = 0; i < cases.size(); ++i) {
    prepared.push_back(prepare(cases[i], 1000 + i));
    Prepared& p = prepared.back();
    std::vector<Named> tensors = p.state;
    tensors.push_back({"input", p.input, false});
    tensors.push_back({"cotangent", p.cotangent, false});
    write_case_file(dir.file("case" + std::to_string(i) + ".in"), p.config, tensors);
    args += " case" + std::to_string(i);
  }
  const std::string script = test::source_dir() + "/tests/worker/forward_reference.py";
  const auto r =
      test::run_command("/usr/bin/python3 " + test::shell_quote(script) + " " + test::shell_quote(dir.path()) + args);
  ASSERT_EQ(r.exit_code, 0) << "forward_reference.py failed: " << r.err;

  Worst output32, gradient32, output64, gradient64;
  for (size_t i = 0; i < prepared.size(); ++i) {
    const Prepared& p = prepared[i];
    const std::string error = test::read_file(dir.file("case" + std::to_string(i) + ".error"));
    if (!error.empty()) {
      ADD_FAILURE() << "the reference rejects model '" << p.name << "': " << error;
      continue;
    }
    const auto theirs = read_result_file(dir.file("case" + std::to_string(i) + ".out"));
    for (const auto& [name, t] : theirs)
      EXPECT_TRUE(p.ours64.count(name)) << "model '" << p.name << "': the reference returns " << name
                                        << ", which metasweep has not";
    compare(p.name, "float64", p.ours64, theirs, kTolerance64, kTolerance64, output64, gradient64);
    compare(p.name, "float32", p.ours32, theirs, kTolerance32, kGradientTolerance32, output32, gradient32);
  }
  std::printf(
      "[ forward reference ] %s: %zu models; worst relative error\n"
      "  float64: output %s, gradient %s\n  float32: output %s, gradient %s\n",
      label.c_str(), prepared.size(), output64.text().c_str(), gradient64.text().c_str(), output32.text().c_str(),
      gradient32.text().c_str());
}

TEST(ForwardReference, ImageModelsMatchTheReference) { check_against_reference(image_cases(), "image models"); }

TEST(ForwardReference, SequenceModelsMatchTheReference) {
  check_against_reference(sequence_cases(), "sequence models");
}

// The reference never skips a tensor: one it does not expect, or one it expects and misses, is an
// error that names it (so a parameter metasweep adds cannot go unchecked).
TEST(ForwardReference, ReferenceRejectsUnknownAndMissingTensors) {
  test::TempDir dir;
  const Prepared p = prepare({"pool", with(image_base(), {{"model.mixers", "pool"}})}, 7);
  std::vector<Named> extra = p.state, missing;
  extra.push_back({"stage0.0.mixer.unexpected", torch::ones({3}), true});
  for (const auto& t : p.state)
    if (t.name != "stage0.1.ls2") missing.push_back(t);
  ASSERT_EQ(missing.size() + 1, p.state.size());
  for (auto* tensors : {&extra, &missing}) {
    tensors->push_back({"input", p.input, false});
    tensors->push_back({"cotangent", p.cotangent, false});
  }
  write_case_file(dir.file("extra.in"), p.config, extra);
  write_case_file(dir.file("missing.in"), p.config, missing);
  const std::string script = test::source_dir() + "/tests/worker/forward_reference.py";
  const auto r = test::run_command("/usr/bin/python3 " + test::shell_quote(script) + " " +
                                   test::shell_quote(dir.path()) + " extra missing");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(test::read_file(dir.file("extra.error")).find("stage0.0.mixer.unexpected"), std::string::npos)
      << test::read_file(dir.file("extra.error"));
  EXPECT_NE(test::read_file(dir.file("missing.error")).find("stage0.1.ls2"), std::string::npos)
      << test::read_file(dir.file("missing.error"));
  EXPECT_EQ(test::read_file(dir.file("extra.out")), "");
  EXPECT_EQ(test::read_file(dir.file("missing.out")), "");
}

}  // namespace
}  // namespace ms
