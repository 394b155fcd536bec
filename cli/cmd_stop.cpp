// `metasweep stop --db FILE [--yes]`: stops the run writing FILE as Ctrl-C would (running jobs
// recorded as interrupted, no new job starts); the same `run` command resumes it later.
#include <filesystem>
#include <iostream>

#include "cli/options.h"
#include "results/store/run_stop.h"
#include "results/store/store.h"
#include "sweeps/errors.h"

namespace ms::cli {

int cmd_stop(const Args& args) {
  po::options_description options("stop options");
  std::string db;
  bool yes = false;
  options.add_options()("db", po::value(&db)->required(), "results database (SQLite)")("yes,y", po::bool_switch(&yes),
                                                                                       "do not ask");
  po::variables_map vm;
  if (!parse_options(args,
                     "usage: metasweep stop --db FILE [--yes]\n\nStops the metasweep run that writes FILE: its running "
                     "jobs are recorded as interrupted\n(resumable) and no further job starts. Re-run the same `run` "
                     "command to go on.",
                     options, {}, vm))
    return 0;
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) throw UsageError(db + ": no such database");  // as every command says it
  { const ResultStore check(db, OpenMode::ReadOnly); }  // not a metasweep database: exit 2, as every command
  const auto holder = run_holder(db);
  if (!holder) {
    std::cerr << "metasweep stop: no metasweep run is writing " << db << "\n";
    return 1;
  }
  if (!confirm("stop the run writing " + db + " (pid " + std::to_string(holder->pid) + ": " + holder->command + ")",
               yes)) {
    std::cerr << "nothing changed\n";
    return 1;
  }
  stop_run(*holder);
  std::cout << "sent SIGTERM to pid " << holder->pid << ": its running jobs will be recorded as interrupted\n";
  return 0;
}

}  // namespace ms::cli
