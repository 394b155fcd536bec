// Capture and replay of the graphed training step, and the auto|on|off decision (see
// cuda_graph_step.h). Every CUDA-specific line is under METASWEEP_HAVE_CUDA; the API used
// (CUDAGraph() / capture_begin() / capture_end() / replay() / reset(), getStreamFromPool,
// CUDAStreamGuard, device_synchronize, the autocast cache switch) is the same in LibTorch 1.13
// and 2.x.
#include "worker/train/cuda_graph_step.h"

#include <stdexcept>
#include <utility>

#ifdef METASWEEP_HAVE_CUDA
#include <mutex>

#include <ATen/autocast_mode.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "sweeps/errors.h"
#include "worker/train/device.h"
#include "worker/train/job_error.h"
#include "worker/train/trainer_loss.h"
#endif

namespace ms {

namespace {

void check_mode(const std::string& mode) {
  if (mode != "auto" && mode != "on" && mode != "off")
    throw std::invalid_argument("unknown cuda_graphs mode '" + mode + "': expected one of auto, on, off");
}

}  // namespace

bool cuda_graphs_compiled() {
#ifdef METASWEEP_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

bool use_cuda_graphs(const std::string& mode, const torch::Device& device, int64_t trainable_params) {
  check_mode(mode);
  if (mode == "off" || !device.is_cuda() || !cuda_graphs_compiled()) return false;
  return mode == "on" || trainable_params < kGraphAutoMaxParams;
}

std::string cuda_graphs_note(const std::string& mode, const torch::Device& device) {
  check_mode(mode);
  if (mode != "on") return "";
  if (!device.is_cuda())
    return "note: --cuda-graphs on has no effect on " + device.str() +
           " (CUDA graphs need a CUDA device); training eagerly";
  if (!cuda_graphs_compiled())
    return "note: --cuda-graphs on has no effect: metasweep was built against a LibTorch without CUDA; "
           "training eagerly";
  return "";
}

#ifdef METASWEEP_HAVE_CUDA

namespace {

constexpr int kWarmupSteps = 3;  // as torch.cuda.make_graphed_callables

// RAII: autocast's cast cache off while alive. A cast cached before the capture would enter the
// graph as a fixed tensor instead of a cast kernel, and replays would use stale weights.
class AutocastCacheOff {
 public:
  AutocastCacheOff() : previous_(at::autocast::is_autocast_cache_enabled()) {
    at::autocast::set_autocast_cache_enabled(false);
  }
  ~AutocastCacheOff() { at::autocast::set_autocast_cache_enabled(previous_); }
  AutocastCacheOff(const AutocastCacheOff&) = delete;
  AutocastCacheOff& operator=(const AutocastCacheOff&) = delete;

 private:
  bool previous_;
};

// What warm-up steps change besides their outputs: the model's buffers (BatchNorm running
// statistics, batch counters) and the device's default generator (stochastic depth). Taken on
// construction, put back by restore(), so a graphed job trains like an eager one.
class TrainingState {
 public:
  TrainingState(ModelImpl& model, const torch::Device& device)
      : generator_(at::globalContext().defaultGenerator(device)) {
    torch::NoGradGuard no_grad;
    for (const auto& b : model.buffers()) {
      if (!b.defined()) continue;
      buffers_.push_back(b);
      saved_.push_back(b.clone());
    }
    std::lock_guard<std::mutex> lock(generator_.mutex());
    rng_ = generator_.get_state();
  }

  void restore() {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < buffers_.size(); ++i) buffers_[i].copy_(saved_[i]);
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(rng_);
  }

 private:
  at::Generator generator_;
  torch::Tensor rng_;
  std::vector<torch::Tensor> buffers_, saved_;
};

// RAII: a capture in progress. A step that throws mid-capture leaves the stream capturing;
// the destructor ends it (its own error is dropped: the step's error is the one reported).
class OpenCapture {
 public:
  explicit OpenCapture(at::cuda::CUDAGraph& graph) : graph_(graph) { graph_.capture_begin(); }
  ~OpenCapture() {
    if (ended_) return;
    try {
      graph_.capture_end();
    } catch (...) {
    }
  }
  OpenCapture(const OpenCapture&) = delete;
  OpenCapture& operator=(const OpenCapture&) = delete;
  void end() {
    ended_ = true;
    graph_.capture_end();
  }

 private:
  at::cuda::CUDAGraph& graph_;
  bool ended_ = false;
};

}  // namespace

struct GraphedTrainStep::Impl {
  ModelImpl& model;
  std::vector<torch::Tensor> params;
  torch::Device device;
  bool bf16;
  double smoothing, loss_scale;
  // Declared before the tensors of its memory pool, so those are released first.
  std::unique_ptr<at::cuda::CUDAGraph> graph;
  torch::Tensor static_x, static_y, static_loss;
  std::vector<torch::Tensor> static_grads;
  // Each parameter's .grad as it was at construction (views of FlatParameters' gradient
  // buffers), or undefined. A defined one is filled by the graph itself (the copies are
  // captured with the step) and stays the parameter's .grad.
  std::vector<torch::Tensor> grad_dest;

  // Forward, loss and gradients of the static batch on the current stream, as the eager step.
  torch::Tensor step(std::vector<torch::Tensor>& grads) {
    torch::Tensor loss;
    {
      AutocastScope autocast(bf16, device);
      loss = smoothed_cross_entropy_sum(model.forward(static_x), static_y, smoothing);
    }
    grads = torch::autograd::grad({loss * loss_scale}, params, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                  /*create_graph=*/false, /*allow_unused=*/true);
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < grad_dest.size(); ++i) {
      if (!grad_dest[i].defined()) continue;
      if (grads[i].defined())
        grad_dest[i].copy_(grads[i]);
      else
        grad_dest[i].zero_();
    }
    return loss.detach();
  }

  void capture() {
    torch::AutoGradMode grad_mode(true);
    c10::cuda::CUDAGuard device_guard(device);
    c10::cuda::device_synchronize();  // the static batch was filled on the caller's stream
    c10::cuda::CUDAStreamGuard stream_guard(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index()));
    AutocastCacheOff no_cast_cache;
    {
      TrainingState before(model, device);
      std::vector<torch::Tensor> grads;
      for (int i = 0; i < kWarmupSteps; ++i) step(grads);
      before.restore();  // stream-ordered after the warm-up
    }
    c10::cuda::device_synchronize();
    auto captured = std::make_unique<at::cuda::CUDAGraph>();
    std::vector<torch::Tensor> grads;
    torch::Tensor loss;
    try {
      OpenCapture open(*captured);
      loss = step(grads);
      open.end();
    } catch (const std::exception& e) {
      // A failed capture (memory short, an operation a graph cannot hold) may leave the caching
      // allocator and the RNG as they were mid-capture: the worker stops, and the job is retried
      // elsewhere without graphs (job_error.h).
      throw TransientError(std::string("CUDA graph capture of the training step failed (") + kCaptureBroken +
                           "; --cuda-graphs off trains eagerly): " + e.what());
    }
    c10::cuda::device_synchronize();
    graph = std::move(captured);
    static_loss = loss;
    static_grads = std::move(grads);
  }
};

GraphedTrainStep::GraphedTrainStep(ModelImpl& model, std::vector<torch::Tensor> params, const torch::Device& device,
                                   bool bf16, double smoothing, double loss_scale) {
  if (!device.is_cuda()) throw std::invalid_argument("GraphedTrainStep needs a CUDA device, not " + device.str());
  const torch::Device dev = device.has_index() ? device : torch::Device(torch::kCUDA, c10::cuda::current_device());
  std::vector<torch::Tensor> grad_dest;
  for (const auto& p : params) grad_dest.push_back(p.grad());
  impl_.reset(new Impl{
      model, std::move(params), dev, bf16, smoothing, loss_scale, nullptr, {}, {}, {}, {}, std::move(grad_dest)});
}

GraphedTrainStep::~GraphedTrainStep() = default;

bool GraphedTrainStep::accepts(const torch::Tensor& x, const torch::Tensor& y) const {
  const Impl& s = *impl_;
  if (x.device() != s.device || y.device() != s.device) return false;
  if (!s.static_x.defined()) return true;
  return x.sizes() == s.static_x.sizes() && y.sizes() == s.static_y.sizes() &&
         x.scalar_type() == s.static_x.scalar_type() && y.scalar_type() == s.static_y.scalar_type();
}

torch::Tensor GraphedTrainStep::run(const torch::Tensor& x, const torch::Tensor& y) {
  if (!accepts(x, y)) throw std::logic_error("GraphedTrainStep::run: batch of another shape than the captured one");
  Impl& s = *impl_;
  torch::NoGradGuard no_grad;
  if (!s.static_x.defined()) {
    s.static_x = torch::empty(x.sizes(), x.options());
    s.static_y = torch::empty(y.sizes(), y.options());
  }
  s.static_x.copy_(x);
  s.static_y.copy_(y);
  if (!s.graph) s.capture();
  s.graph->replay();
  for (size_t i = 0; i < s.params.size(); ++i) {
    torch::Tensor& grad = s.params[i].mutable_grad();
    if (!s.grad_dest[i].defined())
      grad = s.static_grads[i];
    else if (!grad.is_same(s.grad_dest[i]))  // replaced since (e.g. set to none): the graph fills grad_dest
      grad = s.grad_dest[i];
  }
  return s.static_loss;
}

void GraphedTrainStep::reset() {
  Impl& s = *impl_;
  s.static_grads.clear();
  s.static_loss = s.static_x = s.static_y = torch::Tensor();
  s.graph.reset();
}

bool GraphedTrainStep::captured() const { return impl_->graph != nullptr; }

#else  // no CUDA: use_cuda_graphs() is always false, so nothing below is ever reached

struct GraphedTrainStep::Impl {};

GraphedTrainStep::GraphedTrainStep(ModelImpl&, std::vector<torch::Tensor>, const torch::Device&, bool, double, double) {
  throw std::logic_error("GraphedTrainStep: metasweep was built without CUDA (METASWEEP_HAVE_CUDA)");
}

GraphedTrainStep::~GraphedTrainStep() = default;

bool GraphedTrainStep::accepts(const torch::Tensor&, const torch::Tensor&) const { return false; }

torch::Tensor GraphedTrainStep::run(const torch::Tensor&, const torch::Tensor&) {
  throw std::logic_error("GraphedTrainStep: metasweep was built without CUDA (METASWEEP_HAVE_CUDA)");
}

void GraphedTrainStep::reset() {}

bool GraphedTrainStep::captured() const { return false; }

#endif

}  // namespace ms
