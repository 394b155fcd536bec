// The training loop of one job on one rank (see trainer.h for the data-parallel contract).
// Hot path: batches are index_select'ed from device-resident tensors, the loss is summed on
// the device and read back only every kCheckEvery steps (divergence + timeout check, one
// small all-reduce) and once per epoch (metrics). On CUDA, forward + loss + backward of small
// models run as one replayed CUDA graph (cuda_graph_step.h, TrainOptions::cuda_graphs).
#include "worker/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>

#include "sweeps/errors.h"
#include "worker/data/batch_mixing.h"
#include "worker/data/batch_source.h"
#include "worker/dist/collective_watchdog.h"
#include "worker/dist/device_watch.h"
#include "worker/dist/grad_bucketer.h"
#include "worker/dist/rank_consistency.h"
#include "worker/train/checkpoint.h"
#include "worker/train/cuda_graph_step.h"
#include "worker/train/device.h"
#include "worker/train/job_error.h"  // is_transient
#include "worker/train/lr_schedule.h"
#include "worker/train/trainer_loss.h"
#include "worker/train/trainer_optimizer.h"

namespace ms {

namespace {

constexpr int64_t kCheckEvery = 32;  // steps between divergence/timeout checks
constexpr int64_t kEvalBatch = 512;

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void broadcast_from_rank0(torch::Tensor t, Communicator& comm) {
  if (t.is_contiguous()) {
    comm.broadcast(t, 0);
  } else {
    auto tmp = t.contiguous();
    comm.broadcast(tmp, 0);
    t.copy_(tmp);
  }
}

// Rank 0's buffers everywhere (BatchNorm's running statistics).
void broadcast_buffers(torch::nn::Module& model, Communicator& comm) {
  torch::NoGradGuard no_grad;
  for (auto& b : model.buffers()) broadcast_from_rank0(b, comm);
}

// Rank 0's parameters and buffers everywhere (initial weights, whatever each rank built).
void broadcast_state(torch::nn::Module& model, Communicator& comm) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters()) broadcast_from_rank0(p.detach(), comm);
  broadcast_buffers(model, comm);
}

// Global-norm gradient clipping without a host sync.
void clip_grad_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  std::vector<torch::Tensor> norms;
  for (const auto& p : params)
    if (p.grad().defined()) norms.push_back(p.grad().norm(2).to(torch::kFloat));
  if (norms.empty()) return;
  auto coef = (max_norm / (torch::stack(norms).norm(2) + 1e-6)).clamp_max(1.0);
  for (const auto& p : params)
    if (p.grad().defined()) p.grad().mul_(coef);
}

// Sums a small vector of doubles over the group (one collective) and returns it on the host.
// Reading them from a GPU waits for its queued work: timed by `dog` (null: not), as a GPU that
// stops after its last watched step would hold the host here for ever.
std::vector<double> reduce_values(const std::vector<torch::Tensor>& parts, Communicator* comm,
                                  CollectiveWatchdog* dog = nullptr) {
  auto v = torch::stack(parts).to(torch::kDouble);
  if (comm && comm->size() > 1) comm->all_reduce_sum(v);
  const auto wait_for_gpu = host_waits_for(dog, v.device(), "reading sums from");
  v = v.cpu();
  return std::vector<double>(v.data_ptr<double>(), v.data_ptr<double>() + v.numel());
}

// Newest intact checkpoint payload from group rank 0, shared with every rank.
std::optional<std::string> load_checkpoint_bytes(const std::string& path, Communicator* comm,
                                                 std::vector<std::string>& problems) {
  const bool root = !comm || comm->rank() == 0;
  std::optional<std::string> payload;
  if (root) payload = read_checkpoint_file(path, &problems);
  if (!comm || comm->size() == 1) return payload;
  auto length = torch::tensor({payload ? int64_t(payload->size()) : int64_t(-1)}, torch::kInt64);
  comm->broadcast(length, 0);
  const int64_t n = length.item<int64_t>();
  if (n < 0) return std::nullopt;
  auto bytes = torch::empty({n}, torch::kUInt8);
  if (root) std::memcpy(bytes.data_ptr<uint8_t>(), payload->data(), size_t(n));
  comm->broadcast(bytes, 0);
  return std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()), size_t(n));
}

// A failure on one rank of a data-parallel job (a corrupt image in its share, an allocation)
// must not leave its partners waiting in a collective forever. That rank keeps stepping with
// zero gradients until the next check, where every rank learns which ranks failed (one flag per
// rank in the check's all-reduce: 1 final, 2 transient); then all of them end the job with the
// first failing rank's message, as a TransientError when it was transient there (an out-of-memory
// error is retried also when it happened on another rank). Alone, a rank rethrows at once.
class GroupTrouble {
 public:
  explicit GroupTrouble(Communicator* comm) : comm_(comm) {}
  // Inside a catch block: rethrows when alone, else keeps the message.
  void record() {
    if (!comm_) throw;
    if (message_.empty()) {
      try {
        throw;
      } catch (const std::exception& e) {
        message_ = e.what();
      } catch (...) {
        message_ = "unknown error";
      }
      if (message_.empty()) message_ = "error";
      transient_ = is_transient(std::current_exception());
    }
  }
  bool failed() const { return !message_.empty(); }
  // A check of its own (one all-reduce of a flag per rank), for failures outside the steps: the
  // local part of a job's setup, rank 0's checkpoint and report at an epoch's end.
  void settle(const torch::TensorOptions& opts) const;
  // One flag per rank, to append to the check's all-reduce.
  void append_flags(std::vector<torch::Tensor>& parts, const torch::TensorOptions& opts) const {
    if (!comm_) return;
    for (int r = 0; r < comm_->size(); ++r)
      parts.push_back(torch::full({}, r == comm_->rank() && failed() ? (transient_ ? 2.0 : 1.0) : 0.0, opts));
  }
  // After the all-reduce: `flags` are its last size() values. Throws on every rank if any failed.
  void throw_if_any(const double* flags) const {
    if (!comm_) return;
    for (int r = 0; r < comm_->size(); ++r) {
      if (flags[r] <= 0) continue;
      auto length = torch::tensor({int64_t(message_.size())}, torch::kInt64);
      comm_->broadcast(length, r);
      auto bytes = torch::empty({length.item<int64_t>()}, torch::kUInt8);
      if (r == comm_->rank()) std::memcpy(bytes.data_ptr<uint8_t>(), message_.data(), message_.size());
      comm_->broadcast(bytes, r);
      const std::string text =
          "rank " + std::to_string(r) + " of " + std::to_string(comm_->size()) + ": " +
          std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()), size_t(bytes.numel()));
      if (flags[r] > 1.5) throw TransientError(text);
      throw std::runtime_error(text);
    }
  }

 private:
  Communicator* comm_;
  std::string message_;
  bool transient_ = false;
};

void GroupTrouble::settle(const torch::TensorOptions& opts) const {
  if (!comm_) return;
  std::vector<torch::Tensor> flags;
  append_flags(flags, opts);
  throw_if_any(reduce_values(flags, comm_).data());
}

// Runs `work`, which each rank does alone (setup, rank 0's saving), then one check: a failure on
// any rank ends the job on every rank instead of leaving the others in their next collective.
template <typename Work>
void each_rank_alone(Communicator* comm, const torch::TensorOptions& opts, Work&& work) {
  GroupTrouble trouble(comm);
  try {
    work();
  } catch (...) {
    trouble.record();  // alone: rethrown
  }
  trouble.settle(opts);
}

struct EvalSums {
  torch::Tensor loss, tokens, correct, seq_correct, seqs;
};

// Loss and accuracy sums over this rank's share of the test set.
EvalSums evaluate(ModelImpl& model, BatchSource& data, bool bf16, const torch::Device& device,
                  CollectiveWatchdog* dog) {
  torch::NoGradGuard no_grad;
  model.eval();
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(device);
  EvalSums s{torch::zeros({}, opts), torch::zeros({}, opts), torch::zeros({}, opts), torch::zeros({}, opts),
             torch::zeros({}, opts)};
  const int64_t chunks = data.test_chunks(kEvalBatch);
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    torch::Tensor x, y;
    data.test_chunk(chunk, kEvalBatch, x, y);
    const int64_t n = x.size(0);
    torch::Tensor logits;
    {
      AutocastScope autocast(bf16, device);
      logits = model.forward(x);
    }
    s.loss += smoothed_cross_entropy_sum(logits, y, 0.0);
    s.correct += correct_count(logits, y);
    s.tokens += double(y.numel());
    if (data.sequence()) {
      s.seq_correct += exact_sequence_count(logits, y);
      s.seqs += double(n);
    }
    watch_device_lazily(
        dog, device, [&] { return "evaluation batch " + std::to_string(chunk + 1) + " of " + std::to_string(chunks); });
  }
  return s;
}

}  // namespace

TrainOutcome train_model(const nlohmann::json& config, int64_t seed, const TrainOptions& options,
                         const ModelFactory& factory) {
  const auto job_start = Clock::now();
  const RunConfig run = run_config(config);
  const TaskConfig& task = run.task;
  Communicator* comm = options.comm && options.comm->size() > 1 ? options.comm : nullptr;
  const int rank = comm ? comm->rank() : 0, size = comm ? comm->size() : 1;
  const torch::Device device = options.device;
  if (options.threads > 0) torch::set_num_threads(options.threads);
  const std::string trained_on = device_description(device, size);  // with each epoch's throughput

  BatchSourceOptions data_options;
  data_options.device = device;
  data_options.rank = rank, data_options.size = size;
  data_options.threads = std::max(1, options.threads);
  const int64_t global_batch = task.batch_size;
  if (global_batch < size)
    throw std::runtime_error("task.batch_size " + std::to_string(global_batch) + " is smaller than the " +
                             std::to_string(size) + " ranks of the job");

  auto fopts = torch::TensorOptions().dtype(torch::kFloat).device(device);
  // What each rank builds alone may fail on one rank only (its node lacks the data folder, its GPU
  // is out of memory): the group learns it in one check instead of waiting in a collective.
  std::unique_ptr<BatchSource> data;
  std::shared_ptr<ModelImpl> model;
  each_rank_alone(comm, fopts, [&] {
    data = make_batch_source(task, seed, data_options);
    torch::manual_seed(uint64_t(seed));
    model = factory(config);
    // Waits for the GPU's queued work (a GPU that stopped after the last job blocks here).
    const auto wait_for_gpu = host_waits_for(options.watchdog, device, "moving the model to");
    model->to(device);
  });
  if (comm) {
    require_same_on_all_ranks(structure_fingerprint(config, seed, *model), *comm, "the config and model structure");
    broadcast_state(*model, *comm);
  }
  std::vector<torch::Tensor> params;
  for (auto& p : model->parameters())
    if (p.requires_grad()) params.push_back(p);
  // Parameters and gradients in group buffers: the optimizer, gradient zeroing, clipping and
  // the all-reduce each work on a buffer or two instead of every tensor (flat_parameters.h).
  StepParameters updated;
  std::unique_ptr<GradBucketer> bucketer;
  each_rank_alone(comm, fopts, [&] {
    updated = make_step_parameters(task.optimizer, *model);
    if (comm) bucketer = std::make_unique<GradBucketer>(updated.tensors, *comm);
  });
  torch::optim::Optimizer* optimizer = updated.optimizer.get();

  BatchSource& loader = *data;
  const int64_t epochs = task.epochs, steps = loader.steps_per_epoch();
  const LrSchedule schedule(task.schedule.name, task.optimizer.lr, task.schedule.min_lr, task.schedule.warmup_epochs,
                            steps, epochs, task.schedule.style, task.schedule.warmup_lr);
  const double smoothing = task.label_smoothing;
  const double grad_clip = task.grad_clip;
  const bool bf16 = task.precision == "bf16" && device.is_cuda();
  if (task.precision == "bf16" && !bf16 && rank == 0) {  // once per process: a sweep may hold many such jobs
    static std::once_flag said;
    std::call_once(said, [&] {
      std::cerr << "note: task.precision bf16 has no effect on " << device.str()
                << ": autocast runs on CUDA only, so bf16 jobs train here in fp32 (and their results are fp32 "
                   "results)\n";
    });
  }
  const int64_t per_example = loader.targets_per_example();  // loss terms per example
  const double loss_scale = 1.0 / double(loader.global_batch() * per_example);
  const bool may_skip = task.on_corrupt == "skip";  // streamed images may drop corrupt examples
  MixOptions mixing;                                // Mixup / CutMix of image batches (batch_mixing.h)
  mixing.mixup_alpha = task.augment.mixup, mixing.cutmix_alpha = task.augment.cutmix;
  mixing.mix_prob = task.augment.mix_prob, mixing.switch_prob = task.augment.mix_switch;
  if (loader.sequence()) mixing = MixOptions{};  // the validator refuses it; never mix tokens

  TrainOutcome outcome;
  CheckpointState state;
  state.job_key = config.dump() + " seed=" + std::to_string(seed);
  if (!options.checkpoint_path.empty()) {
    std::vector<std::string> problems;
    if (auto bytes = load_checkpoint_bytes(options.checkpoint_path, comm, problems)) {
      CheckpointState restored;
      each_rank_alone(comm, fopts, [&] {  // the optimizer state moves to each rank's device
        restored = decode_checkpoint(*bytes, *model, *optimizer);
        if (restored.job_key != state.job_key)
          throw std::runtime_error(options.checkpoint_path +
                                   ": checkpoint belongs to another job (config or seed differs)");
      });
      state = restored;
      outcome.resumed_from_epoch = state.epoch;
    }
    for (const auto& p : problems) {
      outcome.message += (outcome.message.empty() ? "" : "; ") + p;
      if (rank == 0) std::cerr << "warning: " << p << "\n";
    }
  }
  outcome.epochs = state.epochs;
  // --job-timeout bounds the job's training time, not one attempt's: a job resumed from a
  // checkpoint (a re-run after a timeout, a kill or a stop) brings the time its epochs took.
  double earlier_s = 0;
  for (const EpochMetrics& m : state.epochs) earlier_s += m.wall_s;
  auto past_timeout = [&] { return options.timeout_s > 0 && earlier_s + seconds_since(job_start) > options.timeout_s; };
  auto timeout_error = [&](int64_t epoch) {
    char text[256];
    std::snprintf(text, sizeof text, "job timed out after %.0f s (limit %g s) in epoch %lld%s",
                  earlier_s + seconds_since(job_start), options.timeout_s, static_cast<long long>(epoch),
                  earlier_s > 0 ? (", counting the " + std::to_string(std::lround(earlier_s)) +
                                   " s its checkpointed epochs took before this attempt")
                                      .c_str()
                                : "");
    return JobTimeout(text);
  };

  // Built after any checkpoint reload: a graph captures the parameters as they are when it is
  // first replayed, and the optimizer step it leaves out updates them in place.
  int64_t trainable = 0;
  for (const auto& p : params) trainable += p.numel();
  std::unique_ptr<GraphedTrainStep> graphed;
  if (use_cuda_graphs(options.cuda_graphs, device, trainable))  // captured at its first run()
    graphed = std::make_unique<GraphedTrainStep>(*model, params, device, bf16, smoothing, loss_scale);

  for (int64_t epoch = state.epoch + 1; epoch <= epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    // Reseeded per (seed, epoch, rank): a resumed run draws what the uninterrupted one drew.
    torch::manual_seed(uint64_t(seed) * 1000003ULL + uint64_t(epoch) * 7919ULL + uint64_t(rank));
    GroupTrouble trouble(comm);
    try {
      loader.start_epoch(epoch);
    } catch (...) {
      trouble.record();  // alone: rethrown
    }
    model->train();
    auto loss_sum = torch::zeros({}, fopts);
    int64_t terms = 0;
    double lr = 0;
    torch::Tensor x, y;
    for (int64_t step = 0; step < steps; ++step) {
      lr = schedule.at((epoch - 1) * steps + step);
      set_learning_rate(*optimizer, lr);
      bool have_batch = false;
      if (!trouble.failed()) {
        try {
          have_batch = loader.batch(step, x, y);
        } catch (...) {
          trouble.record();  // alone: rethrown
        }
      }
      // Skipped corrupt images (task.on_corrupt: skip) shrink the global batch: the gradient is
      // the mean over the examples the group kept (one more scalar all-reduce per step, only in
      // that mode), as if the batch had been drawn without them.
      double step_scale = loss_scale;
      bool full_batch = true;
      if (may_skip) {
        const double mine = have_batch && !trouble.failed() ? double(x.size(0)) : 0.0;
        const double kept = reduce_values({torch::full({}, mine, fopts)}, comm, options.watchdog)[0];
        full_batch = kept == double(loader.global_batch());
        if (kept > 0) step_scale = 1.0 / (kept * double(per_example));
      }
      if (trouble.failed()) {
        updated.zero_grad();  // this rank failed: zero gradients until the next check
      } else {
        try {
          if (have_batch && mixing.enabled()) {  // soft targets, label smoothing folded in
            const MixDraw draw = draw_mix_for_step(mixing, static_cast<int>(x.size(2)), static_cast<int>(x.size(3)),
                                                   seed, epoch, step, rank, size);
            MixedBatch mixed = mix_batch(x, y, task.num_classes, smoothing, draw);
            x = std::move(mixed.x), y = std::move(mixed.targets);
          }
          // The graph holds the full batch's loss scale.
          const bool replay = have_batch && full_batch && graphed && graphed->accepts(x, y);
          if (!replay) updated.zero_grad();  // a replay sets every gradient itself
          if (replay) {
            loss_sum += graphed->run(x, y);
            terms += loss_terms(y);
            outcome.cuda_graphs = true;
          } else if (have_batch) {
            torch::Tensor batch_loss;
            {
              AutocastScope autocast(bf16, device);
              batch_loss = smoothed_cross_entropy_sum(model->forward(x), y, smoothing);
            }
            (batch_loss * step_scale).backward();
            loss_sum += batch_loss.detach();
            terms += loss_terms(y);
          }
        } catch (...) {
          trouble.record();  // alone: rethrown
          updated.zero_grad();
        }
      }
      if (bucketer) bucketer->all_reduce(1.0);  // the loss is already divided by the global count
      try {  // Adam allocates its state at the first step: where one rank may run out of memory
        if (grad_clip > 0) clip_grad_norm(updated.tensors, grad_clip);
        optimizer->step();
      } catch (...) {
        trouble.record();  // alone: rethrown
      }
      watch_device_lazily(options.watchdog, device, [&] {
        return "training step " + std::to_string(step + 1) + " of " + std::to_string(steps) + " in epoch " +
               std::to_string(epoch);
      });
      if ((step + 1) % kCheckEvery == 0 || step + 1 == steps) {
        const bool late = past_timeout();
        std::vector<torch::Tensor> parts = {loss_sum, torch::full({}, late ? 1.0 : 0.0, fopts)};
        trouble.append_flags(parts, fopts);
        const auto v = reduce_values(parts, comm, options.watchdog);
        trouble.throw_if_any(v.data() + 2);
        if (v[1] > 0) throw timeout_error(epoch);
        if (!std::isfinite(v[0])) {
          outcome.status = JobStatus::Diverged;
          outcome.diverged_epoch = epoch;
          outcome.message = "diverged: training loss became " + std::string(std::isnan(v[0]) ? "nan" : "inf") +
                            " in epoch " + std::to_string(epoch) + " (by step " + std::to_string(step + 1) + " of " +
                            std::to_string(steps) + ")";
          if (options.verbose && rank == 0) std::cerr << outcome.message << "\n";
          return outcome;
        }
      }
    }
    const double train_s = seconds_since(epoch_start);
    // Every rank evaluates its share of the test set with rank 0's running statistics, the model
    // the checkpoint saves: PyTorch DDP (broadcast_buffers) copies them before every forward.
    if (comm && size > 1 && !model->buffers().empty()) broadcast_buffers(*model, *comm);
    EvalSums e;
    try {
      e = evaluate(*model, loader, bf16, device, options.watchdog);
    } catch (...) {
      trouble.record();  // alone: rethrown
      e = EvalSums{torch::zeros({}, fopts), torch::zeros({}, fopts), torch::zeros({}, fopts), torch::zeros({}, fopts),
                   torch::zeros({}, fopts)};
    }
    const bool late = past_timeout();
    const BatchSource::Skipped skipped = loader.skipped();  // this rank's, this epoch's
    std::vector<torch::Tensor> parts = {loss_sum,
                                        torch::full({}, double(terms), fopts),
                                        e.loss,
                                        e.tokens,
                                        e.correct,
                                        e.seq_correct,
                                        e.seqs,
                                        torch::full({}, late ? 1.0 : 0.0, fopts),
                                        torch::full({}, double(skipped.train), fopts),
                                        torch::full({}, double(skipped.test), fopts)};
    trouble.append_flags(parts, fopts);
    const auto v = reduce_values(parts, comm, options.watchdog);
    trouble.throw_if_any(v.data() + 10);
    const auto skipped_train = static_cast<int64_t>(std::llround(v[8])),
               skipped_test = static_cast<int64_t>(std::llround(v[9]));  // the group's
    // Skipped corrupt images are reported once the epoch's evaluation ran, and recorded with it.
    if (rank == 0 && skipped_train + skipped_test > 0)
      std::cerr << "warning: epoch " << epoch << ": skipped " << skipped_train << " training and " << skipped_test
                << " test image(s) as corrupt (task.on_corrupt: skip); the test accuracy is over the rest\n";
    // Every example skipped (task.on_corrupt: skip on a wholly corrupt split) leaves nothing to
    // report: a loss of 0 and an accuracy of 0 would be stored as a result.
    if (v[1] <= 0)
      throw std::runtime_error("epoch " + std::to_string(epoch) +
                               " trained on no example (were all training images skipped as corrupt?)");
    if (v[3] <= 0)
      throw std::runtime_error("epoch " + std::to_string(epoch) +
                               " evaluated no test example (were all test images skipped as corrupt?)");
    if (v[7] > 0) throw timeout_error(epoch);
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = v[0] / std::max(1.0, v[1]);
    m.test_loss = v[2] / std::max(1.0, v[3]);
    m.test_acc = v[4] / std::max(1.0, v[3]);
    m.test_seq_acc = loader.sequence() ? v[5] / std::max(1.0, v[6]) : -1;
    m.lr = lr;
    m.samples_per_s = double(steps * loader.global_batch()) / std::max(1e-9, train_s);
    m.wall_s = seconds_since(epoch_start);
    m.skipped_train = skipped_train;
    m.skipped_test = skipped_test;
    m.device = trained_on;
    outcome.epochs.push_back(m);
    state.epoch = epoch;
    state.epochs = outcome.epochs;
    // Rank 0 alone saves and reports the epoch (a full disk, an unwritable --checkpoint-dir): its
    // partners must not go on to the next epoch's collectives without it.
    each_rank_alone(comm, fopts, [&] {
      if (rank != 0) return;
      if (!options.checkpoint_path.empty()) {
        // Its copies wait for the GPU, which may have stopped after the last watched batch.
        watch_device_lazily(options.watchdog, device, [] { return std::string("the epoch's end"); });
        write_checkpoint_file(options.checkpoint_path, encode_checkpoint(*model, *optimizer, state));
      }
      if (options.verbose) std::cerr << format_epoch_line(m, epochs) << "\n";
      if (options.on_epoch) options.on_epoch(m);
    });
  }
  if (comm) require_same_on_all_ranks(parameter_fingerprint(*model), *comm, "the trained parameters and buffers");
  return outcome;
}

}  // namespace ms
