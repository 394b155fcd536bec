// Rewriting a report while its sweep runs (see report_watch.h).
#include "results/reports/report_watch.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>
#include <thread>

#include "results/reports/report.h"
#include "results/store/store.h"

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
  const int refresh = std::max(1, static_cast<int>(std::lround(options.interval_s)));
  for (int written = 1;; ++written) {
    const ResultStore store(db_path, OpenMode::ReadOnly);
    const auto counts = store.status_counts(sweep);
    const bool live = counts[JobStatus::Pending] + counts[JobStatus::Running] > 0 && !stop();
    const ReportFiles files = write_report(store, sweep, out_dir, live ? refresh : 0);
    log << clock_time() << "  " << files.html << ": " << counts[JobStatus::Done] << " done, "
        << counts[JobStatus::Running] << " running, " << counts[JobStatus::Pending] << " pending, "
        << counts[JobStatus::Diverged] << " diverged, " << counts[JobStatus::Failed] << " failed"
        << (live ? "; next update in " + std::to_string(refresh) + " s (Ctrl-C stops)" : "; final report") << "\n";
    log.flush();
    if (!live) return written;
    sleep(options.interval_s);
  }
}

}  // namespace ms
