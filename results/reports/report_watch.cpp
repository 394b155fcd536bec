// Rewriting a report while its sweep runs (see report_watch.h).
#include "results/reports/report_watch.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>
#include <thread>

#include "results/reports/report.h"
#include "results/store/run_lock.h"
#include "results/store/sqlite_db.h"
#include "results/store/store.h"
#include "results/store/sweep_admin.h"

namespace ms {

namespace {

std::string clock_time() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%H:%M:%S", &tm);
  return buffer;
}

// What a report of the sweep is made from, in a few numbers: the jobs' statuses, the epochs
// recorded and the notes. Unchanged, a round rewrites nothing (a report of a large sweep takes
// seconds of CPU and the browser reloads the whole page).
std::string report_inputs(const ResultStore& store, const std::string& sweep) {
  Statement s(store.db(),
              "SELECT (SELECT group_concat(status || ':' || n) FROM (SELECT j.status, COUNT(*) AS n FROM sweep_jobs m "
              "JOIN jobs j ON j.id = m.job_id WHERE m.sweep = ?1 GROUP BY j.status)), "
              "(SELECT COUNT(*) || ':' || COALESCE(MAX(e.recorded_at), 0) FROM epochs e JOIN sweep_jobs m ON "
              "m.job_id = e.job_id WHERE m.sweep = ?1), "
              "(SELECT updated_at FROM sweeps WHERE name = ?1)");
  s.bind(1, sweep);
  std::string out;
  if (s.step())
    for (int c = 0; c < 3; ++c) out += s.column_text(c) + "|";
  for (const SweepNote& n : sweep_notes(store, sweep)) out += std::to_string(n.created_at) + n.text + "|";
  return out;
}

}  // namespace

int watch_report(const std::string& db_path, const std::string& sweep, const std::string& out_dir,
                 const WatchOptions& options) {
  std::ostream& log = options.log ? *options.log : std::cerr;
  auto stop = [&] { return options.stop && options.stop(); };
  auto sleep = [&](double seconds) {
    if (options.sleep) return options.sleep(seconds);
    for (auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
         !stop() && std::chrono::steady_clock::now() < end;)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  };
  auto run_alive = [&] { return options.run_alive ? options.run_alive() : RunLock::live_holder(db_path).has_value(); };
  const int refresh = std::max(1, static_cast<int>(std::lround(options.interval_s)));
  int without_run = 0;             // rounds in a row that found jobs left but no run writing the database
  std::string last, written_from;  // the last log line; the inputs of the last report written
  std::string html;                // the last report's page
  for (int written = 0;;) {
    const ResultStore store(db_path, OpenMode::ReadOnly);
    const auto counts = store.status_counts(sweep);
    const bool jobs_left = counts[JobStatus::Pending] + counts[JobStatus::Running] > 0;
    without_run = jobs_left && !run_alive() ? without_run + 1 : 0;
    const bool live = jobs_left && without_run < 2 && !stop();
    const std::string inputs = report_inputs(store, sweep);
    if (!live || inputs != written_from) {  // the final report is always written (it stops reloading)
      html = write_report(store, sweep, out_dir, live ? refresh : 0, options.metric).html;
      written_from = inputs;
      ++written;
    }
    const std::string line = html + ": " + std::to_string(counts[JobStatus::Done]) + " done, " +
                             std::to_string(counts[JobStatus::Running]) + " running, " +
                             std::to_string(counts[JobStatus::Pending]) + " pending, " +
                             std::to_string(counts[JobStatus::Diverged]) + " diverged, " +
                             std::to_string(counts[JobStatus::Failed]) + " failed";
    if (!live) {
      log << clock_time() << "  " << line << "; final report"
          << (without_run >= 2 ? " (no run is writing " + db_path +
                                     ": it was stopped or ended; the same `metasweep run` command resumes it)"
                               : std::string())
          << "\n";
      log.flush();
      return written;
    }
    if (line != last) {
      log << clock_time() << "  " << line << "; next update in " << refresh << " s (Ctrl-C stops)\n";
      log.flush();
      last = line;
    }
    sleep(options.interval_s);
  }
}

}  // namespace ms
