// `metasweep report --watch SEC`: keeps a sweep's report current while the sweep runs. Each
// round opens the database afresh (read-only, beside the running writer), rewrites the report
// with a page that reloads itself every SEC seconds when what it is made of changed (statuses,
// epochs, notes: a large sweep's report costs seconds of CPU), and waits; once no job of the sweep is
// pending or running, or no run has been writing the database for two rounds in a row (it was
// stopped or died; `run` resumes it later), or when asked to stop, it writes the final report,
// which no longer reloads, and returns. A line is logged when the counts change.
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace ms {

struct WatchOptions {
  double interval_s = 10;
  std::function<bool()> stop;         // polled; true: write the final report and return
  std::function<void(double)> sleep;  // default: sleeps, waking early when stop() turns true
  std::ostream* log = nullptr;        // a line per round that changed something (default std::cerr)
  std::function<bool()> run_alive;    // whether a run writes the database (default: its run lock is held)
  std::string metric = "test_acc";    // what the table ranks by (report_metric.h)
};

// Returns the number of reports written (a round where nothing changed writes none).
int watch_report(const std::string& db_path, const std::string& sweep, const std::string& out_dir,
                 const WatchOptions& options);

}  // namespace ms
