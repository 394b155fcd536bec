// metasweep entry point: picks the subcommand, sets up MPI where it is needed, and turns
// exceptions into exit codes (2 = bad input, 1 = runtime failure). The one catch in the program
// besides the one around each job.
#include <cstdlib>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/subcommands.h"
#include "orchestrator/mpi_env.h"
#include "sweeps/errors.h"
#include "sweeps/version.h"

namespace {

const char* kMainUsage = R"(metasweep — distributed ablation sweeps for MetaFormer-family networks

usage: metasweep <command> [options]      (metasweep <command> --help for details)

commands:
  plan SWEEP.yaml      list the jobs a sweep file implies, with params and MACs
  run SWEEP.yaml       run a sweep (alone, or under mpirun: rank 0 coordinates)
  train SWEEP.yaml     train one job of a sweep (--variant LABEL or --job ID)
  status               progress of the sweeps in a database
  results              query results: filter, group over seeds, table/csv/json/markdown/latex
  report               write the ablation report (markdown, HTML with plots, LaTeX)
  compare A B          two sweeps side by side: Δ per variant with CI and t-test
  note                 attach a note to a sweep, or list its notes
  stop                 stop the run writing a database (resumable)
  forget               forget a sweep or a job's results (asks first)
)";

// libgomp's worker threads spin after every parallel region before they sleep: for 300k
// iterations by default, forever with OMP_WAIT_POLICY=active, not at all with passive. On a
// core shared with other ranks or programs the long spin steals the cores the others need;
// not spinning at all costs a futex wake-up per region. Measured on this 2-core machine, demo
// model, 2 threads (samples/s): idle: default 3382, active 3430, passive 1872, spin 10k 3518;
// with two busy processes beside it: default 271, passive 1348, spin 10k 1552. So a training
// command that finds neither variable set sets GOMP_SPINCOUNT=10000 (about 10 us) and
// re-executes itself once: libgomp reads its variables when it is loaded, before main.
void ensure_short_openmp_spin(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
  setenv("GOMP_SPINCOUNT", "10000", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then carry on as we are
}

// This process's rank when a launcher (mpirun, srun) started it as one of several, else 0.
int launched_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char* v = std::getenv(name)) return std::atoi(v);
  return 0;
}

}  // namespace

static int run_command(int argc, char** argv) {
  if (argc < 2) {  // bad input: one line (the overview is --help's)
    std::cerr << "metasweep: missing command: expected one of plan, run, train, status, results, report, compare, "
                 "note, stop, forget (metasweep --help says what each does)\n";
    return 2;
  }
  const std::string command = argv[1];
  if (command == "help" && argc >= 3) {  // `metasweep help run` is `metasweep run --help`
    static char help_flag[] = "--help";
    char* again[] = {argv[0], argv[2], help_flag, nullptr};
    return run_command(3, again);
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kMainUsage;
    return 0;
  }
  if (command == "--version") {
    std::cout << "metasweep " << ms::kMetasweepVersion << " (training semantics " << ms::kTrainingSemantics << ")\n";
    return 0;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  // Under mpirun every rank starts the program: a command other than run and train is done by
  // the first rank alone, so its output (and a question of stop or forget) appears once.
  if (command != "run" && command != "train" && launched_rank() > 0) return 0;
  try {
    if (command == "plan") return ms::cli::cmd_plan(args);
    if (command == "status") return ms::cli::cmd_status(args);
    if (command == "results") return ms::cli::cmd_results(args);
    if (command == "report") return ms::cli::cmd_report(args);
    if (command == "compare") return ms::cli::cmd_compare(args);
    if (command == "note") return ms::cli::cmd_note(args);
    if (command == "stop") return ms::cli::cmd_stop(args);
    if (command == "forget") return ms::cli::cmd_forget(args);
    if (command == "run" || command == "train") {
      ensure_short_openmp_spin(argv);
      ms::MpiEnvironment mpi(&argc, &argv);
      try {
        return command == "run" ? ms::cli::cmd_run(args, mpi) : ms::cli::cmd_train(args, mpi);
      } catch (const ms::UsageError& e) {
        if (mpi.rank() == 0) std::cerr << "metasweep " << command << ": " << e.what() << "\n";
        return 2;
      } catch (const std::exception& e) {
        std::cerr << "metasweep " << command << " (rank " << mpi.rank() << "): error: " << ms::user_message(e.what())
                  << "\n";
        if (mpi.size() > 1) mpi.abort(1);
        return 1;
      }
    }
    std::cerr << "metasweep: unknown command '" << command
              << "': expected one of plan, run, train, status, results, report, compare, note, stop, forget\n";
    return 2;
  } catch (const ms::UsageError& e) {
    std::cerr << "metasweep " << command << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "metasweep " << command << ": error: " << ms::user_message(e.what()) << "\n";
    return 1;
  }
}

int main(int argc, char** argv) { return run_command(argc, argv); }
