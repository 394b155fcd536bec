// `metasweep status --db FILE [--sweep NAME | --job ID]`: per sweep, counts by status, running
// jobs with their epoch, failures with their messages, throughput so far, what the attempts cost,
// the ETA, and the sweep's notes (`metasweep note`); with --job, one job's attempts (where, how
// long, how each ended). Opens the database read-only: safe while a sweep runs.
#include <iostream>

#include "cli/options.h"
#include "results/reports/job_history.h"
#include "results/reports/sweep_progress.h"
#include "results/store/store.h"
#include "results/store/sweep_admin.h"
#include "sweeps/config_schema.h"
#include "sweeps/errors.h"

namespace ms::cli {

int cmd_status(const Args& args) {
  po::options_description options("status options");
  std::string db, sweep, job;
  options.add_options()("db", po::value(&db)->required(), "results database (SQLite)")(
      "sweep", po::value(&sweep), "only this sweep (default: every sweep in the database)")(
      "job", po::value(&job),
      "one job's attempts instead: when, where, on how many ranks, how long and how each ended (an id or a "
      "unique prefix of one)");
  po::variables_map vm;
  if (!parse_options(args, "usage: metasweep status --db FILE [--sweep NAME | --job ID]", options, {}, vm)) return 0;
  if (vm.count("sweep") && vm.count("job")) throw UsageError("give at most one of --sweep NAME and --job ID");

  ResultStore store(db, OpenMode::ReadOnly);
  if (vm.count("job")) {
    std::cout << format_job_history(store, job, unix_now());
    return 0;
  }
  std::vector<std::string> names = store.sweeps();
  if (!sweep.empty()) {
    sweep = store.sweep_named(sweep);  // as stored, in whichever Unicode encoding
    if (!store.has_sweep(sweep))
      throw UsageError("no sweep '" + sweep + "' in " + db +
                       " (sweeps: " + (names.empty() ? "none" : join(names, ", ")) + ")");
    names = {sweep};
  }
  if (names.empty()) {
    std::cout << db << ": no sweeps yet\n";
    return 0;
  }
  const double now = unix_now();
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) std::cout << "\n";
    std::cout << format_progress(sweep_progress(store, names[i], now), now)
              << format_notes(sweep_notes(store, names[i]));
  }
  return 0;
}

}  // namespace ms::cli
