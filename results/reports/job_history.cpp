// One job's attempt history for `metasweep status --job` (see job_history.h).
#include "results/reports/job_history.h"

#include <algorithm>
#include <ctime>
#include <sstream>

#include "results/reports/sweep_progress.h"
#include "results/reports/text_table.h"
#include "results/store/run_lock.h"
#include "results/store/schema.h"
#include "results/store/sweep_admin.h"
#include "sweeps/user_text.h"

namespace ms {

namespace {

std::string local_time(double unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  localtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  return when;
}

// The first line of a message, shown as a terminal may (control characters as \xNN).
std::string message_line(const std::string& text) {
  if (text.empty()) return "-";
  const size_t nl = text.find('\n');
  return printable(text.substr(0, nl)) + (nl == std::string::npos ? "" : " [...]");
}

}  // namespace

std::string format_job_history(const ResultStore& store, const std::string& id_or_prefix, double now) {
  const JobInfo info = job_info(store, id_or_prefix);
  std::ostringstream out;
  out << "job " << info.id;
  Statement m(store.db(), "SELECT sweep, section, variant FROM sweep_jobs WHERE job_id = ? ORDER BY sweep");
  m.bind(1, info.id);
  std::vector<std::string> memberships;
  while (m.step())
    memberships.push_back("sweep " + printable(m.column_text(0)) + ": " + printable(m.column_text(1)) + " / " +
                          printable(m.column_text(2)));
  Statement j(store.db(), "SELECT seed, status, attempts, failures, error, epochs_done, epochs_total, test_acc FROM " +
                              jobs_table_sql(store.db()) + " WHERE id = ?");
  j.bind(1, info.id);
  if (!j.step()) throw std::runtime_error(store.path() + ": unknown job " + info.id);
  out << " (seed " << j.column_int64(0) << ")\n";
  for (const auto& line : memberships) out << "  " << line << "\n";
  if (memberships.empty()) out << "  in no sweep now (an edit of its sweep file removed it; its results are kept)\n";
  const int attempts = static_cast<int>(j.column_int64(2)), failures = static_cast<int>(j.column_int64(3));
  out << "  status: " << j.column_text(1) << ", " << attempts << " attempt(s), " << failures
      << " failed (what --max-retries limits)";
  if (!j.is_null(6)) out << ", " << j.column_int64(5) << "/" << j.column_int64(6) << " epochs";
  if (!j.is_null(7)) out << ", test_acc " << fixed(j.column_double(7), 4);
  out << "\n";
  if (!j.column_text(4).empty()) out << "  message: " << message_line(j.column_text(4)) << "\n";

  const std::vector<Attempt> history = store.attempt_history(info.id);
  const bool live = RunLock::live_holder(store.path()).has_value();
  if (!history.empty()) {
    TextTable t;
    t.header = {"attempt", "started", "for", "where", "ranks", "device", "outcome", "message"};
    t.right = {true, false, true, false, true, false, false, false};
    double rank_s = 0;
    for (const Attempt& a : history) {
      const bool running = a.outcome == "running";
      rank_s += a.rank_seconds(now, live);
      std::string length = format_duration(a.duration(now, live));
      if (a.outcome == "interrupted") length = ">= " + length;  // a killed run's: until its last recorded epoch
      if (running && !live) length = ">= " + length + " (its run died)";
      t.rows.push_back({std::to_string(a.number), local_time(a.started_at), length, printable(a.where),
                        std::to_string(a.ranks), a.device.empty() ? "-" : printable(a.device), a.outcome,
                        message_line(a.error)});
    }
    std::istringstream lines(render_plain(t));
    for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
    out << "  compute: " << format_duration(rank_s) << " of rank time (duration x ranks)\n";
  }
  // A job that ran under a metasweep before the history (schema v7) has only its count.
  const int before = history.empty() ? attempts : history.front().number - 1;
  if (before > 0)
    out << "  " << before << " earlier attempt(s) ran before this database kept a history of attempts: only their "
        << "count is known\n";
  return out.str();
}

}  // namespace ms
