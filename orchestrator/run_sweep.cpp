// The run of a whole sweep across the ranks (see run_sweep.h).
#include "orchestrator/run_sweep.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include <sys/resource.h>

#include "orchestrator/local_transport.h"
#include "orchestrator/mpi_transport.h"
#include "orchestrator/run_summary.h"
#include "orchestrator/training_rank.h"
#include "orchestrator/worker_loop.h"
#include "results/store/store.h"
#include "sweeps/advice.h"
#include "sweeps/errors.h"
#include "sweeps/sweep_spec.h"
#include "worker/models/model_cost.h"
#include "worker/models/plan_costs.h"

namespace ms {

namespace {

// The first signal wins: Ctrl-C that also ends a `tee` the run writes through stays a Ctrl-C
// (130), not the SIGPIPE the next write then raises. Lock-free, so safe in a handler.
static_assert(std::atomic<int>::is_always_lock_free);
void on_signal(int sig) {
  int none = 0;
  g_stop_signal.compare_exchange_strong(none, sig);
}

// SIGPIPE too: `run 2>&1 | head` (or a `tee` that died) closes the progress output mid-sweep, and
// the default action would kill the run with its jobs left `running` and nothing said.
void stop_on_signals() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, on_signal);
}

// What an interrupted run says (to stderr, which a closed pipe may swallow) and its exit status:
// 130 as for Ctrl-C, or 141 (128 + SIGPIPE, what a shell reports for a process a pipe killed).
int report_interrupted() {
  const bool pipe = g_stop_signal.load() == SIGPIPE;
  std::fprintf(stderr, "%sinterrupted: running jobs recorded as interrupted; re-run the same command to resume\n",
               pipe ? "output pipe closed: " : "");
  std::fflush(stderr);
  return pipe ? 128 + SIGPIPE : 130;
}

// No mpirun: the coordinator here, one worker on a thread.
int run_alone(const RunRequest& r, const SweepSpec& spec, std::vector<Job> jobs, const WorkerSettings& worker) {
  auto store = std::make_unique<ResultStore>(r.db_path, OpenMode::Writer);
  fill_costs(jobs);
  stop_on_signals();
  LocalTransport transport;
  std::thread trainer([&] {
    try {  // setup outside any job (device, communicator): the coordinator would wait for it forever
      run_worker(&transport.worker(), MPI_COMM_NULL, worker);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "metasweep run: error: %s\n", user_message(e.what()).c_str());
      std::fflush(stderr);
      std::_Exit(1);  // finished jobs are committed; SQLite recovers the rest on the next open
    }
  });
  RunSummary s;
  try {
    s = run_coordinator(spec, spec.source, jobs, transport.coordinator(), *store, r.settings);
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
    const int code = report_interrupted();
    store.reset();  // closes the database cleanly (WAL checkpointed)
    trainer.detach();
    std::_Exit(code);  // the trainer thread is mid-epoch; its last checkpoint is on disk
  }
  trainer.join();
  std::cout << format_run_summary(s, *store, spec.name, r.db_path) << std::flush;
  return s.any_failed() ? 1 : 0;  // the sweep's state at the end, not only this run's
}

// Rank 0's CPU share over the run: the coordinator should cost next to nothing.
void report_coordinator_cpu(std::chrono::steady_clock::time_point started) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu =
      usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // The CPU count includes start-up (loading LibTorch, planning) that the wall clock here does
  // not: a share is only meaningful over a run long enough to dwarf it.
  if (wall >= 10)
    std::fprintf(stderr, "coordinator (rank 0): %.2f s CPU over %.1f s wall (%.1f%%)\n", cpu, wall, 100.0 * cpu / wall);
  else
    std::fprintf(stderr, "coordinator (rank 0): %.2f s CPU (start-up included) over %.1f s wall\n", cpu, wall);
}

// Rank 0 under mpirun: opens the store, then tells every rank whether setup succeeded (0, 1 =
// runtime failure, 2 = bad input) so that all of them return or throw the same way.
int coordinate(const RunRequest& r, const MpiEnvironment& mpi, const SweepSpec& spec, std::vector<Job> jobs,
               const GroupLayout& layout, const std::vector<std::string>& hosts) {
  int code = 0;
  std::string error;
  std::unique_ptr<ResultStore> store;
  try {
    store = std::make_unique<ResultStore>(r.db_path, OpenMode::Writer);
    store->check_new_sweep_name(spec.name);  // bad input: every rank returns 2, before any job
    fill_costs(jobs);
  } catch (const UsageError& e) {
    code = 2, error = e.what();
  } catch (const std::exception& e) {
    code = 1, error = user_message(e.what());
  }
  mpi.broadcast_from_root(code);
  if (code == 2) throw UsageError(error);
  if (code == 1) throw std::runtime_error(error);
  if (!layout.parked.empty())
    std::fprintf(stderr, "warning: %zu rank(s) do not fill a group of %d and stay idle\n", layout.parked.size(),
                 r.ranks_per_job);
  // A group by its leader's host and its ranks: the node a job ran (or failed) on, for --exclude.
  std::vector<std::string> names;
  for (int leader : layout.leaders) {
    const std::string host = static_cast<size_t>(leader) < hosts.size() ? hosts[static_cast<size_t>(leader)] : "";
    const int last = leader + r.ranks_per_job - 1;
    names.push_back(
        host + (host.empty() ? "" : " ") + "(rank" +
        (last > leader ? "s " + std::to_string(leader) + "-" + std::to_string(last) : " " + std::to_string(leader)) +
        ")");
  }
  MpiCoordinatorLink link(layout, names);
  const auto started = std::chrono::steady_clock::now();
  stop_on_signals();
  RunSettings settings = r.settings;
  settings.ranks_per_job = r.ranks_per_job;  // recorded with each attempt
  const RunSummary s = run_coordinator(spec, spec.source, jobs, link, *store, settings);
  if (s.interrupted) {
    store.reset();
    mpi.abort(report_interrupted());
  }
  link.stop_parked();
  report_coordinator_cpu(started);
  std::cout << format_run_summary(s, *store, spec.name, r.db_path) << std::flush;
  return s.any_failed() ? 1 : 0;  // the sweep's state at the end, not only this run's
}

// Ranks 1..K-1 under mpirun: wait for rank 0's setup, then train what it assigns.
int train_assigned(const MpiEnvironment& mpi, const GroupLayout& layout, const GroupComm& group,
                   const WorkerSettings& worker) {
  // Rank 0 reports the error; every rank ends with its status (2 for bad input), so that mpirun,
  // which passes on whichever rank's status comes first, says the same.
  if (const int code = mpi.broadcast_from_root(0); code != 0) return code;
  // mpirun forwards SIGTERM/SIGINT to every rank. Workers leave it to rank 0, which records the
  // running jobs as interrupted and then aborts the whole run (their checkpoints are on disk).
  std::signal(SIGINT, SIG_IGN);
  std::signal(SIGTERM, SIG_IGN);
  if (layout.group < 0) {  // parked: wait for the end
    MpiWorkerLink().receive();
    return 0;
  }
  MpiWorkerLink link;
  run_worker(layout.leader ? &link : nullptr, group.get(), worker);
  return 0;
}

}  // namespace

int run_sweep(const RunRequest& r, const MpiEnvironment& mpi) {
  // Every rank validates the sweep, so a bad file ends every rank the same way.
  const SweepSpec spec = load_sweep_file(r.sweep_file, model_catalog(), r.max_jobs);
  std::vector<std::string> folded;
  std::vector<Job> jobs = expand_sweep(spec, model_catalog(), &folded);
  if (mpi.rank() == 0) {
    for (const auto& line : folded) std::fprintf(stderr, "metasweep run: %s\n", line.c_str());
    for (const auto& line : sweep_advice(jobs)) std::fprintf(stderr, "metasweep run: warning: %s\n", line.c_str());
  }

  WorkerSettings worker = r.worker;
  worker.verbose = false;  // rank 0 prints the epoch lines, each naming its job (RunSettings::verbose)
  const bool coordinator_on_node = mpi.broadcast_from_root(mpi.host()) == mpi.host();
  // GPUs are numbered over the ranks that train on a node: the coordinator (local rank 0 of its
  // node) takes none, so its node's trainers get GPUs 0.. as every other node's do.
  const int coordinator_here = mpi.size() > 1 && coordinator_on_node ? 1 : 0;
  worker.local_rank = std::max(0, mpi.local_rank() - coordinator_here);
  worker.local_trainers = std::max(1, mpi.local_size() - coordinator_here);
  worker.host = mpi.host();
  if (worker.threads <= 0) worker.threads = threads_per_rank(mpi, coordinator_on_node);  // else --threads
  // "--device cuda" where a training rank has none: bad input, said before anything starts
  require_requested_device(worker.device, mpi, /*trains=*/mpi.size() == 1 || mpi.rank() > 0);

  if (mpi.size() == 1 && r.ranks_per_job > 1)
    throw UsageError("--ranks-per-job " + std::to_string(r.ranks_per_job) +
                     " trains each job on that many MPI ranks: start the run under mpirun with at least " +
                     std::to_string(r.ranks_per_job + 1) + " ranks (rank 0 only coordinates)");
  if (mpi.size() == 1) return run_alone(r, spec, std::move(jobs), worker);

  if (mpi.size() - 1 < r.ranks_per_job)
    throw UsageError("--ranks-per-job " + std::to_string(r.ranks_per_job) + " needs at least " +
                     std::to_string(r.ranks_per_job + 1) + " MPI ranks (rank 0 only coordinates)");
  const GroupLayout layout = make_group_layout(mpi.rank(), mpi.size(), r.ranks_per_job);
  GroupComm group(layout, mpi.rank());
  const std::vector<std::string> hosts = mpi.hosts_at_root();  // collective: every rank
  if (mpi.rank() == 0) return coordinate(r, mpi, spec, std::move(jobs), layout, hosts);
  return train_assigned(mpi, layout, group, worker);
}

}  // namespace ms
