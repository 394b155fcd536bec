// `metasweep run SWEEP.yaml --db FILE ...`: a whole sweep, alone (coordinator and one worker
// in this process) or under mpirun (rank 0 coordinates, ranks 1..K-1 train in groups).
#include <sched.h>
#include <sys/resource.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "advice.h"
#include "coordinator.h"
#include "errors.h"
#include "local_transport.h"
#include "model_cost.h"
#include "mpi_env.h"
#include "mpi_transport.h"
#include "options.h"
#include "plan_costs.h"
#include "run_summary.h"
#include "store.h"
#include "worker_loop.h"

namespace ms::cli {

namespace {

const char* kUsage =
    "usage: metasweep run SWEEP.yaml --db FILE [--ranks-per-job N] [--device auto|cpu|cuda]\n"
    "                     [--max-retries N] [--job-timeout SEC] [--checkpoint-dir DIR] [--fresh] [--retrain-older]\n"
    "                     [--cuda-graphs auto|on|off] [--max-jobs N]\n\n"
    "Runs every job of a sweep and records it in the SQLite database FILE. Without mpirun, one\n"
    "process coordinates and trains. Under `mpirun -np K`, rank 0 coordinates and ranks 1..K-1 form\n"
    "groups of --ranks-per-job ranks that train one job each, data-parallel. Re-running the same\n"
    "command resumes: finished jobs are skipped, interrupted ones continue from their checkpoints.\n"
    "--cuda-graphs: on a GPU, run forward + backward of each full batch as one replayed CUDA graph\n"
    "(auto: for models under 20M parameters; on: any model; off: eager). On CPU it has no effect\n"
    "(`on` says so in one note on stderr).";

void on_signal(int sig) { g_stop_signal.store(sig); }

// LibTorch threads per rank: this node's cores shared by the ranks that train on it, and never
// more than the cores this process may run on (mpirun binds ranks to one core by default when
// there are at most 2 ranks: pass --bind-to none or --map-by ...:PE=n to give them more).
int threads_per_rank(const MpiEnvironment& mpi, bool rank0_here) {
  cpu_set_t set;
  int allowed = static_cast<int>(std::thread::hardware_concurrency());
  if (sched_getaffinity(0, sizeof set, &set) == 0) allowed = CPU_COUNT(&set);
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const int trainers = std::max(1, mpi.local_size() - (rank0_here ? 1 : 0));
  return std::max(1, std::min(allowed, cores / trainers));
}

// Rank 0 decides whether setup succeeded; every rank then returns or throws the same way.
void share_setup_status(int& code) {
  MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
}

}  // namespace

int cmd_run(const Args& args, MpiEnvironment& mpi) {
  po::options_description options("run options");
  std::string sweep_file, db_path, device = "auto", checkpoint_dir, cuda_graphs = "auto";
  int ranks_per_job = 1, max_retries = 2;
  double job_timeout = 0;
  bool verbose = false;
  int64_t max_jobs = kDefaultMaxJobs;
  options.add_options()("sweep", po::value(&sweep_file)->required(), "sweep file (YAML)")(
      "max-jobs", po::value(&max_jobs)->default_value(kDefaultMaxJobs),
      "refuse sweeps that expand to more jobs than this (counted before expanding)")(
      "db", po::value(&db_path)->required(), "SQLite results database (created if missing)")(
      "ranks-per-job", po::value(&ranks_per_job)->default_value(1), "MPI ranks that train one job together")(
      "device", po::value(&device)->default_value("auto"), "auto | cpu | cuda")(
      "max-retries", po::value(&max_retries)->default_value(2), "retries of a job after a transient failure")(
      "job-timeout", po::value(&job_timeout)->default_value(0), "end a job after SEC seconds (0 = never)")(
      "checkpoint-dir", po::value(&checkpoint_dir), "where per-epoch checkpoints go (default: FILE.checkpoints)")(
      "fresh", po::bool_switch(), "start the sweep over: forget its results and checkpoints")(
      "retrain-older", po::bool_switch(),
      "train again the jobs an older metasweep trained under different training semantics (see --version)")(
      "verbose,v", po::bool_switch(&verbose), "a line per epoch of every job, naming the job")(
      "cuda-graphs", po::value(&cuda_graphs)->default_value("auto"),
      "auto | on | off: the training step as a replayed CUDA graph (auto: GPU and < 20M parameters)");
  po::positional_options_description positional;
  positional.add("sweep", 1);
  po::variables_map vm;
  if (!parse_options(args, kUsage, options, positional, vm)) return 0;
  if (max_jobs < 1) throw UsageError("--max-jobs must be at least 1");
  check_choice("device", device, {"auto", "cpu", "cuda"});
  check_choice("cuda-graphs", cuda_graphs, {"auto", "on", "off"});
  if (ranks_per_job < 1) throw UsageError("--ranks-per-job must be at least 1");
  if (max_retries < 0) throw UsageError("--max-retries must be >= 0");
  if (!(job_timeout >= 0) || !std::isfinite(job_timeout))
    throw UsageError("--job-timeout must be a finite number of seconds >= 0");
  if (checkpoint_dir.empty()) checkpoint_dir = db_path + ".checkpoints";
  RunSettings settings{max_retries, job_timeout, checkpoint_dir, vm["fresh"].as<bool>()};
  settings.retrain_older = vm["retrain-older"].as<bool>();
  settings.verbose = verbose;  // rank 0 prints the epoch lines, each naming its job

  // Every rank validates the sweep, so a bad file ends every rank the same way.
  const SweepSpec spec = load_sweep_file(sweep_file, model_catalog(), max_jobs);
  std::vector<Job> jobs = expand_sweep(spec, model_catalog());
  if (mpi.rank() == 0)
    for (const auto& line : sweep_advice(jobs)) std::fprintf(stderr, "metasweep run: warning: %s\n", line.c_str());

  std::string rank0_host = mpi.host();
  {
    char buf[MPI_MAX_PROCESSOR_NAME] = {0};
    rank0_host.copy(buf, sizeof buf - 1);
    MPI_Bcast(buf, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, 0, MPI_COMM_WORLD);
    rank0_host = buf;
  }
  WorkerSettings worker{device, mpi.local_rank(), threads_per_rank(mpi, rank0_host == mpi.host()), false,
                        cuda_graphs};

  if (mpi.size() == 1) {  // one process: coordinator here, one worker on a thread
    auto store = std::make_unique<ResultStore>(db_path, OpenMode::Writer);
    fill_costs(jobs);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    LocalTransport transport;
    std::thread trainer([&] { run_worker(&transport.worker(), MPI_COMM_NULL, worker); });
    RunSummary s;
    try {
      s = run_coordinator(spec, read_text_file(sweep_file), jobs, transport.coordinator(), *store, settings);
    } catch (const std::exception& e) {
      // The store failed (disk full, I/O error) or the sweep could not be registered. The trainer
      // thread may be mid-epoch (its checkpoints are on disk): report as main() would, close the
      // database, and leave without joining it (a std::thread destroyed joinable would abort).
      const bool usage = dynamic_cast<const UsageError*>(&e) != nullptr;
      std::fprintf(stderr, "metasweep run: %s%s\n", usage ? "" : "error: ", user_message(e.what()).c_str());
      std::fflush(stderr);
      store.reset();
      trainer.detach();
      std::_Exit(usage ? 2 : 1);
    }
    if (s.interrupted) {
      std::fprintf(stderr, "interrupted: running jobs recorded as interrupted; re-run the same command to resume\n");
      std::fflush(stderr);
      store.reset();  // closes the database cleanly (WAL checkpointed)
      trainer.detach();
      std::_Exit(130);  // the trainer thread is mid-epoch; its last checkpoint is on disk
    }
    trainer.join();
    std::cout << format_run_summary(s, *store, spec.name, db_path) << std::flush;
    return s.failed ? 1 : 0;
  }

  if (mpi.size() - 1 < ranks_per_job)
    throw UsageError("--ranks-per-job " + std::to_string(ranks_per_job) + " needs at least " +
                     std::to_string(ranks_per_job + 1) + " MPI ranks (rank 0 only coordinates)");
  const GroupLayout layout = make_group_layout(mpi.rank(), mpi.size(), ranks_per_job);
  GroupComm group(layout, mpi.rank());

  if (mpi.rank() == 0) {
    int code = 0;
    std::string error;
    std::unique_ptr<ResultStore> store;
    try {
      store = std::make_unique<ResultStore>(db_path, OpenMode::Writer);
      fill_costs(jobs);
    } catch (const UsageError& e) {
      code = 2, error = e.what();
    } catch (const std::exception& e) {
      code = 1, error = user_message(e.what());
    }
    share_setup_status(code);
    if (code == 2) throw UsageError(error);
    if (code == 1) throw std::runtime_error(error);
    if (!layout.parked.empty())
      std::fprintf(stderr, "warning: %zu rank(s) do not fill a group of %d and stay idle\n", layout.parked.size(),
                   ranks_per_job);
    std::vector<std::string> names;
    for (int leader : layout.leaders)
      names.push_back("ranks " + std::to_string(leader) + "-" + std::to_string(leader + ranks_per_job - 1));
    MpiCoordinatorLink link(layout, names);
    const auto started = std::chrono::steady_clock::now();
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    const RunSummary s = run_coordinator(spec, read_text_file(sweep_file), jobs, link, *store, settings);
    if (s.interrupted) {
      store.reset();
      std::fprintf(stderr, "interrupted: running jobs recorded as interrupted; re-run the same command to resume\n");
      std::fflush(stderr);
      mpi.abort(130);
    }
    link.stop_parked();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // The CPU count includes start-up (loading LibTorch, planning) that the wall clock here does
    // not: a share is only meaningful over a run long enough to dwarf it.
    if (wall >= 10)
      std::fprintf(stderr, "coordinator (rank 0): %.2f s CPU over %.1f s wall (%.1f%%)\n", cpu, wall, 100.0 * cpu / wall);
    else
      std::fprintf(stderr, "coordinator (rank 0): %.2f s CPU (start-up included) over %.1f s wall\n", cpu, wall);
    std::cout << format_run_summary(s, *store, spec.name, db_path) << std::flush;
    return s.failed ? 1 : 0;
  }

  int code = 0;
  share_setup_status(code);
  if (code != 0) return code;  // rank 0 reports the error
  // mpirun forwards SIGTERM/SIGINT to every rank. Workers leave it to rank 0, which records the
  // running jobs as interrupted and then aborts the whole run (their checkpoints are on disk).
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  if (layout.group < 0) {      // parked: wait for the end
    MpiWorkerLink().receive();
    return 0;
  }
  MpiWorkerLink link;
  run_worker(layout.leader ? &link : nullptr, group.get(), worker);
  return 0;
}

}  // namespace ms::cli
