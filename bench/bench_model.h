// Shared by the C++ benchmarks: the resolved config of one variant of a sweep file, and a
// training-step harness (model, AdamW/... from the config, a fixed random batch in memory)
// whose phases can be timed separately — forward+loss, backward, gradient all-reduce, step.
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "worker/dist/communicator.h"
#include "worker/dist/grad_bucketer.h"
#include "worker/models/model.h"
#include "worker/train/trainer_optimizer.h"

namespace ms::bench {

// The resolved config of `variant` (first seed) in SWEEP.yaml; throws when there is none.
nlohmann::json variant_config(const std::string& sweep_file, const std::string& variant);

struct StepTimes {
  double forward_s = 0, backward_s = 0, comm_s = 0, step_s = 0;
  double total() const { return forward_s + backward_s + comm_s + step_s; }
};

class StepHarness {
 public:
  // batch: examples on this rank; comm: null for one rank. packed: parameters and gradients in
  // FlatParameters' group buffers, as the trainer has them; false: the stock per-tensor path.
  StepHarness(const nlohmann::json& config, int64_t batch, Communicator* comm = nullptr, bool packed = true);
  // One training step; adds each phase's wall time to `times`.
  void step(StepTimes& times);

 private:
  std::shared_ptr<ModelImpl> model_;
  StepParameters updated_;
  std::unique_ptr<GradBucketer> bucketer_;
  torch::Tensor x_, y_;
  double loss_scale_;
};

}  // namespace ms::bench
