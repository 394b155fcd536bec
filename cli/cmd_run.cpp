// `metasweep run SWEEP.yaml --db FILE ...`: parses the options and hands the run to
// orchestrator/run_sweep.h (alone, or under mpirun with rank 0 coordinating).
#include <cmath>

#include "cli/options.h"
#include "orchestrator/run_sweep.h"
#include "orchestrator/worker_settings.h"
#include "sweeps/errors.h"
#include "sweeps/sweep_spec.h"

namespace ms::cli {

namespace {

const char* kRunUsage =
    "usage: metasweep run SWEEP.yaml --db FILE [--ranks-per-job N] [--device auto|cpu|cuda]\n"
    "                     [--max-retries N] [--job-timeout SEC] [--checkpoint-dir DIR] [--fresh] [--retrain-older]\n"
    "                     [--cuda-graphs auto|on|off] [--hang-timeout SEC] [--threads N] [--max-jobs N] [-v]\n\n"
    "Runs every job of a sweep and records it in the SQLite database FILE. Without mpirun, one\n"
    "process coordinates and trains. Under `mpirun -np K`, rank 0 coordinates and ranks 1..K-1 form\n"
    "groups of --ranks-per-job ranks that train one job each, data-parallel. Re-running the same\n"
    "command resumes: finished jobs are skipped, interrupted ones continue from their checkpoints.\n"
    "--cuda-graphs: on a GPU, run forward + backward of each full batch as one replayed CUDA graph\n"
    "(auto: for models under 20M parameters; on: any model; off: eager). On CPU it has no effect\n"
    "(`on` says so in one note on stderr).";

}  // namespace

int cmd_run(const Args& args, MpiEnvironment& mpi) {
  po::options_description options("run options");
  std::string sweep_file, db_path, device = "auto", checkpoint_dir, cuda_graphs = "auto";
  int ranks_per_job = 1, max_retries = 2, threads = 0;
  double job_timeout = 0, hang_timeout = kDefaultHangTimeoutS;
  bool verbose = false;
  int64_t max_jobs = kDefaultMaxJobs;
  options.add_options()("sweep", po::value(&sweep_file)->required(), "sweep file (YAML)")(
      "max-jobs", po::value(&max_jobs)->default_value(kDefaultMaxJobs),
      "refuse sweeps that expand to more jobs than this (counted before expanding)")(
      "db", po::value(&db_path)->required(), "SQLite results database (created if missing)")(
      "ranks-per-job", po::value(&ranks_per_job)->default_value(1), "MPI ranks that train one job together")(
      "device", po::value(&device)->default_value("auto"), "auto | cpu | cuda")(
      "max-retries", po::value(&max_retries)->default_value(2), "retries of a job after a transient failure")(
      "job-timeout", po::value(&job_timeout)->default_value(0),
      "end a job after SEC seconds of training, counting the epochs it resumes from (0 = never)")(
      "hang-timeout", po::value(&hang_timeout)->default_value(kDefaultHangTimeoutS), kHangTimeoutHelp)(
      "checkpoint-dir", po::value(&checkpoint_dir), "where per-epoch checkpoints go (default: FILE.checkpoints)")(
      "fresh", po::bool_switch(),
      "start the sweep over: forget its results and checkpoints (not those of finished jobs another sweep holds)")(
      "retrain-older", po::bool_switch(),
      "train again the jobs an older metasweep trained under training semantics this one changed for their "
      "configs (see --version)")("threads", po::value(&threads)->default_value(0), kThreadsHelp)(
      "verbose,v", po::bool_switch(&verbose), "a line per epoch of every job, naming the job")(
      "cuda-graphs", po::value(&cuda_graphs)->default_value("auto"),
      "auto | on | off: the training step as a replayed CUDA graph (auto: GPU and < 20M parameters)");
  po::positional_options_description positional;
  positional.add("sweep", 1);
  po::variables_map vm;
  if (!parse_options(args, kRunUsage, options, positional, vm)) return 0;
  if (max_jobs < 1) throw UsageError("--max-jobs must be at least 1");
  check_choice("device", device, {"auto", "cpu", "cuda"});
  check_choice("cuda-graphs", cuda_graphs, {"auto", "on", "off"});
  if (ranks_per_job < 1) throw UsageError("--ranks-per-job must be at least 1");
  if (max_retries < 0) throw UsageError("--max-retries must be >= 0");
  if (!(job_timeout >= 0) || !std::isfinite(job_timeout))
    throw UsageError("--job-timeout must be a finite number of seconds >= 0");
  check_hang_timeout(hang_timeout);
  check_threads(threads);
  if (vm.count("checkpoint-dir") && checkpoint_dir.empty())
    throw UsageError("--checkpoint-dir: the path is empty (leave the option out for FILE.checkpoints)");
  if (checkpoint_dir.empty()) checkpoint_dir = default_checkpoint_dir(db_path);
  check_folder_path("checkpoint-dir", checkpoint_dir);

  RunRequest request;
  request.sweep_file = sweep_file;
  request.db_path = db_path;
  request.max_jobs = max_jobs;
  request.ranks_per_job = ranks_per_job;
  request.settings = RunSettings{max_retries, job_timeout, checkpoint_dir, vm["fresh"].as<bool>()};
  request.settings.retrain_older = vm["retrain-older"].as<bool>();
  request.settings.verbose = verbose;  // rank 0 prints the epoch lines, each naming its job
  request.worker.device = device;
  request.worker.cuda_graphs = cuda_graphs;
  request.worker.hang_timeout_s = hang_timeout;
  request.worker.threads = threads;  // 0: run_sweep divides the node's cores
  return run_sweep(request, mpi);
}

}  // namespace ms::cli
