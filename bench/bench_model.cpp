// Benchmark helpers (see bench_model.h).
#include "bench/bench_model.h"

#include <chrono>
#include <stdexcept>

#include "sweeps/job.h"
#include "sweeps/run_config.h"
#include "sweeps/sweep_spec.h"
#include "worker/models/model_cost.h"
#include "worker/train/trainer_loss.h"
#include "worker/train/trainer_optimizer.h"

namespace ms::bench {

nlohmann::json variant_config(const std::string& sweep_file, const std::string& variant) {
  const SweepSpec spec = load_sweep_file(sweep_file, model_catalog());
  for (const Job& job : expand_sweep(spec, model_catalog()))
    if (job.variant == variant) return job.config;
  throw std::runtime_error(sweep_file + ": no variant '" + variant + "'");
}

StepHarness::StepHarness(const nlohmann::json& config, int64_t batch, Communicator* comm, bool packed) {
  const TaskConfig task = run_config(config).task;
  const int64_t side = task.image_size, channels = task.channels, classes = task.num_classes;
  torch::manual_seed(0);
  model_ = build_model(config);
  model_->train();
  updated_ = make_step_parameters(task.optimizer, *model_, packed);
  if (comm && comm->size() > 1) bucketer_ = std::make_unique<GradBucketer>(updated_.tensors, *comm);
  x_ = torch::randn({batch, channels, side, side});
  y_ = torch::randint(0, classes, {batch}, torch::kInt64);
  loss_scale_ = 1.0 / double(batch * (comm ? comm->size() : 1));
}

void StepHarness::step(StepTimes& times) {
  using Clock = std::chrono::steady_clock;
  auto lap = [](Clock::time_point& t) {
    const auto now = Clock::now();
    const double s = std::chrono::duration<double>(now - t).count();
    t = now;
    return s;
  };
  auto t = Clock::now();
  updated_.zero_grad();
  auto loss = smoothed_cross_entropy_sum(model_->forward(x_), y_, 0.1) * loss_scale_;
  times.forward_s += lap(t);
  loss.backward();
  times.backward_s += lap(t);
  if (bucketer_) bucketer_->all_reduce(1.0);
  times.comm_s += lap(t);
  updated_.optimizer->step();
  times.step_s += lap(t);
}

}  // namespace ms::bench
