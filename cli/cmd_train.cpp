// `metasweep train SWEEP.yaml --job ID|--variant LABEL [--seed N] [--db FILE] ...`: trains one
// job of a sweep on every rank of MPI_COMM_WORLD (data-parallel under `mpirun -np K`), printing
// one line per epoch and a summary on rank 0; with --db, rank 0 records it in the database.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "cli/options.h"
#include "orchestrator/mpi_env.h"
#include "orchestrator/training_rank.h"
#include "results/store/interrupt_guard.h"
#include "results/store/store.h"
#include "results/store/sweep_admin.h"
#include "sweeps/errors.h"
#include "sweeps/job.h"
#include "sweeps/run_config.h"
#include "sweeps/sweep_spec.h"
#include "sweeps/unicode_nfd.h"
#include "sweeps/user_text.h"
#include "worker/models/model_cost.h"
#include "worker/models/plan_costs.h"
#include "worker/train/device.h"
#include "worker/train/trainer.h"

namespace ms::cli {

namespace {

const char* kTrainUsage =
    "usage: metasweep train SWEEP.yaml --job ID|--variant LABEL [--seed N] [--db FILE]\n"
    "                       [--device auto|cpu|cuda] [--checkpoint-dir DIR] [--threads N]\n"
    "                       [--cuda-graphs auto|on|off] [--hang-timeout SEC]\n\n"
    "Trains one job of a sweep: --job takes an id (a unique prefix is enough, see `metasweep plan`),\n"
    "--variant a variant label, or SECTION/LABEL where two sections share the label (with --seed,\n"
    "default the sweep's first seed). Under `mpirun -np K`\n"
    "the K ranks train it data-parallel (task.batch_size is the global batch). With --db the job and\n"
    "its epochs are recorded like `run` does. With --checkpoint-dir it checkpoints every epoch and a\n"
    "second invocation resumes. Intra-op threads default to cores / ranks on the node, never more than\n"
    "the cores a rank may run on; mpirun binds ranks to one core each by default, so pass\n"
    "`--bind-to none` when giving a rank several threads.\n"
    "--cuda-graphs: on a GPU, run forward + backward of each full batch as one replayed CUDA graph\n"
    "(auto: for models under 20M parameters; on: any model; off: eager). On CPU it has no effect\n"
    "(`on` says so in one note on stderr).";

const Job& select_job(const std::vector<Job>& jobs, const std::string& id, const std::string& variant,
                      const std::optional<int64_t>& seed) {
  if (!id.empty()) {
    std::vector<const Job*> hits;
    for (const auto& j : jobs)
      if (j.id.compare(0, id.size(), id) == 0) hits.push_back(&j);
    if (hits.empty()) throw UsageError("--job " + id + ": no job of this sweep has that id (see metasweep plan)");
    if (hits.size() > 1) {
      std::string ids;
      for (const Job* j : hits) ids += (ids.empty() ? "" : ", ") + j->id;
      throw UsageError("--job " + id + " is ambiguous: it prefixes " + ids);
    }
    if (seed && *seed != hits.front()->seed)
      throw UsageError("--seed " + std::to_string(*seed) + " contradicts --job " + id + " (seed " +
                       std::to_string(hits.front()->seed) + ")");
    return *hits.front();
  }
  // A label is unique within its section only: "SECTION/LABEL" (or "SECTION / LABEL") names one
  // in any section, and a bare label found in two sections is refused. Compared in Unicode's
  // canonical decomposition, as the sweep file's labels are (an "é" typed either way matches).
  auto names = [](const Job& j, const std::string& text) {
    const std::string want = nfd(text);
    return nfd(j.variant) == want || nfd(j.section + "/" + j.variant) == want ||
           nfd(j.section + " / " + j.variant) == want;
  };
  auto named = [&](const Job& j) { return names(j, variant); };
  std::vector<std::string> labels;
  std::vector<const Job*> matches;  // the first job of each (section, label) the text names
  const Job* with_seed = nullptr;
  std::string seeds;
  for (const auto& j : jobs) {
    if (named(j)) {
      if (!with_seed && (!seed || j.seed == *seed)) with_seed = &j;
      if (std::none_of(matches.begin(), matches.end(),
                       [&](const Job* m) { return m->section == j.section && m->variant == j.variant; }))
        matches.push_back(&j);
      if (matches.size() == 1 && j.section == matches.front()->section && j.variant == matches.front()->variant)
        seeds += (seeds.empty() ? "" : ", ") + std::to_string(j.seed);
    }
    if (std::find(labels.begin(), labels.end(), j.variant) == labels.end()) labels.push_back(j.variant);
  }
  if (matches.size() > 1) {  // a label in two sections, or a '/' inside a section name or label
    // Each by SECTION/LABEL where that spelling names it alone (a '/' inside the names can make it
    // ambiguous again), and always by its job id.
    auto alone = [&](const std::string& text) {
      std::set<std::pair<std::string, std::string>> named_by;
      for (const auto& j : jobs)
        if (names(j, text)) named_by.emplace(j.section, j.variant);
      return named_by.size() == 1;
    };
    std::string list;
    for (const Job* m : matches) {
      const std::string spelled = m->section + "/" + m->variant;
      list += (list.empty() ? "" : ", ") + (alone(spelled) ? "'" + printable(spelled) + "' (--job " + m->id + ")"
                                                           : "section '" + printable(m->section) + "' label '" +
                                                                 printable(m->variant) + "': --job " + m->id);
    }
    throw UsageError("--variant '" + printable(variant) + "' is ambiguous: it names " + std::to_string(matches.size()) +
                     " variants; give one of " + list);
  }
  if (with_seed) return *with_seed;
  if (!matches.empty())
    throw UsageError("--seed " + std::to_string(*seed) + ": variant '" + printable(variant) +
                     "' has no job with that seed (its seeds: " + seeds + ")");
  std::string list;
  for (const auto& l : labels) list += (list.empty() ? " " : "; ") + l;
  throw UsageError("--variant '" + variant + "': no such variant; available labels:" + list);
}

void print_epoch(const EpochMetrics& m, int64_t epochs) {
  std::printf("%s\n", format_epoch_line(m, epochs).c_str());
  std::fflush(stdout);
}

}  // namespace

int cmd_train(const Args& args, MpiEnvironment& mpi) {
  po::options_description options("train options");
  std::string sweep_file, job_id, variant, db_path, device_spec = "auto", checkpoint_dir, cuda_graphs = "auto";
  int threads = 0;
  double hang_timeout = kDefaultHangTimeoutS;
  int64_t max_jobs = kDefaultMaxJobs;
  options.add_options()("sweep", po::value(&sweep_file)->required(), "sweep file (YAML)")(
      "max-jobs", po::value(&max_jobs)->default_value(kDefaultMaxJobs),
      "refuse sweeps that expand to more jobs than this (counted before expanding)")(
      "job", po::value(&job_id), "job id (or a unique prefix)")("variant", po::value(&variant), "variant label")(
      "seed", po::value<int64_t>(), "seed (with --variant; default: the sweep's first seed)")(
      "db", po::value(&db_path), "record the job in this results database")(
      "device", po::value(&device_spec)->default_value("auto"), "auto | cpu | cuda")(
      "checkpoint-dir", po::value(&checkpoint_dir), "checkpoint every epoch here; resume from it")(
      "threads", po::value(&threads)->default_value(0), kThreadsHelp)(
      "cuda-graphs", po::value(&cuda_graphs)->default_value("auto"),
      "auto | on | off: the training step as a replayed CUDA graph (auto: GPU and < 20M parameters)")(
      "hang-timeout", po::value(&hang_timeout)->default_value(kDefaultHangTimeoutS), kHangTimeoutHelp);
  po::positional_options_description positional;
  positional.add("sweep", 1);
  po::variables_map vm;
  if (!parse_options(args, kTrainUsage, options, positional, vm)) return 0;
  if (max_jobs < 1) throw UsageError("--max-jobs must be at least 1");
  check_choice("device", device_spec, {"auto", "cpu", "cuda"});
  check_choice("cuda-graphs", cuda_graphs, {"auto", "on", "off"});
  check_hang_timeout(hang_timeout);
  if (job_id.empty() == variant.empty()) throw UsageError("give exactly one of --job ID and --variant LABEL");
  if (vm.count("db") && !database_path_problem(db_path).empty()) throw UsageError(database_path_problem(db_path));
  check_threads(threads);
  if (vm.count("checkpoint-dir") && checkpoint_dir.empty())
    throw UsageError("--checkpoint-dir: the path is empty (leave the option out for no checkpoints)");
  if (!checkpoint_dir.empty()) check_folder_path("checkpoint-dir", checkpoint_dir);
  std::optional<int64_t> seed;
  if (vm.count("seed")) seed = vm["seed"].as<int64_t>();

  const SweepSpec spec = load_sweep_file(sweep_file, model_catalog(), max_jobs);
  std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  const Job& job = select_job(jobs, job_id, variant, seed);

  // The same rank setup as `run`'s workers (orchestrator/training_rank.h); every rank trains.
  const bool root = mpi.rank() == 0;
  WorkerSettings settings;
  settings.device = device_spec;
  settings.local_rank = mpi.local_rank();  // every rank of `train` trains
  settings.local_trainers = mpi.local_size();
  settings.host = mpi.host();
  settings.threads = threads > 0 ? threads : threads_per_rank(mpi, /*coordinator_on_node=*/false);
  settings.cuda_graphs = cuda_graphs;
  settings.hang_timeout_s = hang_timeout;
  require_requested_device(device_spec, mpi, /*trains=*/true);
  TrainingRank rank = setup_training_rank(settings, mpi.size() > 1 ? MPI_COMM_WORLD : MPI_COMM_NULL, root);
  const torch::Device device = rank.device;
  if (rank.watchdog) rank.watchdog->set_context("job " + job.id);
  threads = settings.threads;
  const int64_t epochs = run_config(job.config).task.epochs;

  std::unique_ptr<ResultStore> store;
  std::unique_ptr<InterruptGuard> interrupt;  // Ctrl-C: the job back to pending, not left running
  if (root) {
    if (vm.count("db"))  // opened first: a database that cannot hold results stops everything before training
      store = std::make_unique<ResultStore>(db_path, OpenMode::Writer);
    std::printf("training %s (%s / %s, seed %lld) on %s: %d rank(s), %d thread(s) per rank\n", job.id.c_str(),
                job.section.c_str(), job.variant.c_str(), static_cast<long long>(job.seed), device.str().c_str(),
                mpi.size(), threads);
    std::fflush(stdout);
    if (store) {
      // It holds the run lock: a job left `running` is a dead run's, its attempt interrupted (as `run` does).
      store->reset_stale_running();
      {  // the job's params and MACs, as `run` records them (its other jobs get theirs when a run costs them)
        std::vector<Job> one = {job};
        fill_costs(one);
        Job& trained = jobs.at(static_cast<size_t>(&job - jobs.data()));
        trained.params = one.front().params, trained.macs = one.front().macs;
      }
      store->register_sweep(spec, spec.source, jobs, false);
      if (const JobStatus before = store->status(job.id); is_finished(before) && before != JobStatus::Failed)
        std::fprintf(stderr,
                     "metasweep train: note: job %s is %s in %s; training it again replaces its recorded result "
                     "(its earlier attempts stay in `status --job %s`)\n",
                     job.id.c_str(), to_string(before), db_path.c_str(), job.id.c_str());
      if (remove_checkpoints_from_before_reset(*store, checkpoint_dir, job.id) > 0)
        std::fprintf(stderr,
                     "metasweep train: note: removed the checkpoint of job %s in %s from before %s reset it "
                     "(forget --job or a fresh start): it trains from the start\n",
                     job.id.c_str(), printable(checkpoint_dir).c_str(), printable(db_path).c_str());
      store->job_started(job.id, "train " + mpi.host() + " x" + std::to_string(mpi.size()), mpi.size());
      interrupt = std::make_unique<InterruptGuard>(db_path, job.id);
    }
  }

  TrainOptions train;
  train.device = device;
  train.comm = rank.comm.get();
  train.watchdog = rank.watchdog.get();
  train.threads = threads;
  train.cuda_graphs = cuda_graphs;
  if (!checkpoint_dir.empty()) train.checkpoint_path = checkpoint_dir + "/" + job.id + ".ckpt";
  train.on_epoch = [&](const EpochMetrics& m) {
    print_epoch(m, epochs);
    if (store) store->record_epoch(job.id, m);
  };
  const auto start = std::chrono::steady_clock::now();
  TrainOutcome outcome;
  try {
    outcome = train_job(job.config, job.seed, train);
  } catch (const std::exception& e) {
    if (store) {  // then main reports it
      try {       // a database error here must not hide the training error
        store->attempt_ran_on(job.id, device_description(device, mpi.size()));
      } catch (const std::exception&) {
      }
      store->job_finished(job.id, JobStatus::Failed, user_message(e.what()), -1);
    }
    throw;
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!root) return 0;
  if (store) {
    store->attempt_ran_on(job.id, device_description(device, mpi.size()));
    store->job_finished(job.id, outcome.status, outcome.status == JobStatus::Done ? "" : outcome.message, wall_s);
  }
  if (outcome.resumed_from_epoch > 0)
    std::printf("(resumed from the checkpoint of epoch %lld)\n", static_cast<long long>(outcome.resumed_from_epoch));
  std::printf("%s %s: %s", job.id.c_str(), to_string(outcome.status), job.variant.c_str());
  if (!outcome.epochs.empty()) {
    const EpochMetrics& m = outcome.epochs.back();
    std::printf(", %lld epochs, test_acc %.4f, test_loss %.4f, train_loss %.4f", static_cast<long long>(m.epoch),
                m.test_acc, m.test_loss, m.train_loss);
  }
  std::printf(", %.1f s\n", wall_s);
  if (outcome.status == JobStatus::Diverged) std::printf("%s\n", outcome.message.c_str());
  return 0;
}

}  // namespace ms::cli
