// Sweep progress for `metasweep status` (see progress.h).
#include "results/reports/sweep_progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "results/reports/text_table.h"
#include "results/store/run_lock.h"
#include "results/store/schema.h"
#include "sweeps/user_text.h"

namespace ms {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char buffer[64];
  if (s >= 3600)
    std::snprintf(buffer, sizeof(buffer), "%ldh %02ldm", s / 3600, (s % 3600) / 60);
  else if (s >= 60)
    std::snprintf(buffer, sizeof(buffer), "%ldm %02lds", s / 60, s % 60);
  else
    std::snprintf(buffer, sizeof(buffer), "%lds", s);
  return buffer;
}

AttemptCosts attempt_costs(const ResultStore& store, const std::string& sweep, bool live_run, double now) {
  AttemptCosts costs;
  if (!store.has_table("job_attempts")) return costs;
  Statement s(store.db(),
              "SELECT a.outcome, a.started_at, a.ended_at, a.ranks FROM job_attempts a JOIN sweep_jobs m ON "
              "m.job_id = a.job_id WHERE m.sweep = ?");
  s.bind(1, sweep);
  while (s.step()) {
    Attempt a;
    a.outcome = s.column_text(0);
    a.started_at = s.column_double(1), a.ended_at = s.column_double(2);
    a.ranks = static_cast<int>(s.column_int64(3));
    const double rank_s = a.rank_seconds(now, live_run);
    AttemptCosts::Outcome& o = costs.by_outcome[a.outcome];
    ++o.attempts, o.rank_s += rank_s;
    ++costs.attempts, costs.rank_s += rank_s;
  }
  return costs;
}

std::string format_attempt_costs(const AttemptCosts& costs) {
  // "3h 10m of rank time in 14 attempt(s): 12 done (2h 55m), 1 lost (9m 12s), 1 interrupted (6m 01s at least)"
  std::string out =
      format_duration(costs.rank_s) + " of rank time in " + std::to_string(costs.attempts) + " attempt(s)";
  const char* order[] = {"done", "diverged", "running", "failed", "hung", "lost", "interrupted"};
  bool first = true;
  for (const char* outcome : order) {
    const auto it = costs.by_outcome.find(outcome);
    if (it == costs.by_outcome.end()) continue;
    out += std::string(first ? ": " : ", ") + std::to_string(it->second.attempts) + " " + outcome + " (" +
           format_duration(it->second.rank_s) + (std::string(outcome) == "interrupted" ? " at least" : "") + ")";
    first = false;
  }
  return out;
}

SweepProgress sweep_progress(const ResultStore& store, const std::string& sweep, double now) {
  SweepProgress p;
  p.sweep = sweep;
  p.counts = store.status_counts(sweep);
  p.live_run = RunLock::live_holder(store.path());
  p.total = p.counts.total();
  p.db = store.path();
  if (store.has_table("removed_sweep_jobs")) {
    Statement removed(store.db(), "SELECT COUNT(*) FROM removed_sweep_jobs WHERE sweep = ?");
    removed.bind(1, sweep);
    if (removed.step()) p.removed = static_cast<int>(removed.column_int64(0));
  }
  Statement s(store.db(),
              "SELECT j.id, m.section, m.variant, j.seed, j.status, j.attempts, j.error, j.epochs_done, "
              "COALESCE(j.epochs_total, 0), j.started_at, j.finished_at, j.host, j.test_acc, "
              "(SELECT MAX(recorded_at) FROM epochs e WHERE e.job_id = j.id), "
              "(SELECT samples_per_s FROM epochs e WHERE e.job_id = j.id ORDER BY epoch DESC LIMIT 1), j.failures "
              "FROM sweep_jobs m JOIN " +
                  jobs_table_sql(store.db()) + " j ON j.id = m.job_id WHERE m.sweep = ? ORDER BY m.position");
  s.bind(1, sweep);
  std::vector<std::pair<double, double>> busy;  // each job's [start, latest activity]
  while (s.step()) {
    const JobStatus status = job_status_from_string(s.column_text(4));
    const int64_t done = s.column_int64(7), total = s.column_int64(8);
    // Done and diverged jobs are complete (a diverged one stops early by design); a failed job
    // counts only the epochs it trained, so a sweep whose jobs all failed is not "100%".
    const bool complete = is_finished(status) && status != JobStatus::Failed;
    p.epochs_total += total;
    p.epochs_done += complete ? total : std::min(done, total);
    if (!s.is_null(9))
      p.first_start = p.first_start ? std::min(*p.first_start, s.column_double(9)) : s.column_double(9);
    std::optional<double> job_end;  // its finish or latest epoch
    for (int col : {10, 13})
      if (!s.is_null(col)) job_end = job_end ? std::max(*job_end, s.column_double(col)) : s.column_double(col);
    if (!s.is_null(9)) {
      const double start = s.column_double(9);
      // A running job of a live run trains until now; one a dead run left "running", until its last epoch.
      const bool live = status == JobStatus::Running && p.live_run;
      const double end = live ? std::max(now, job_end.value_or(now)) : job_end.value_or(start);
      busy.emplace_back(start, std::max(start, end));
    }
    if (status == JobStatus::Running) {
      RunningJob r{s.column_text(0),
                   s.column_text(1),
                   s.column_text(2),
                   s.column_text(11),
                   s.column_int64(3),
                   done,
                   total,
                   s.is_null(9) ? now : s.column_double(9),
                   static_cast<int>(s.column_int64(5)),
                   s.column_optional_double(12)};
      p.running.push_back(r);
      if (!s.is_null(14)) p.samples_per_s += s.column_double(14);
    } else if (status == JobStatus::Failed || status == JobStatus::Diverged ||
               (status == JobStatus::Pending && !s.column_text(6).empty())) {  // its group's GPU failed
      p.failures.push_back({s.column_text(0), s.column_text(1), s.column_text(2), s.column_text(6), status,
                            s.column_int64(3), static_cast<int>(s.column_int64(5)),
                            static_cast<int>(s.column_int64(15))});
    }
  }
  // The time some job of the sweep was training: the union of the jobs' intervals, so the idle
  // days between two runs of the sweep count neither here nor in the throughput.
  std::sort(busy.begin(), busy.end());
  double covered_to = -std::numeric_limits<double>::infinity();
  for (const auto& [start, end] : busy) {
    if (end <= covered_to) continue;
    p.busy_s += end - std::max(start, covered_to);
    covered_to = end;
  }
  p.costs = attempt_costs(store, sweep, p.live_run.has_value(), now);
  if (p.first_start) {
    // Epochs trained so far (not counting never-trained failures as work done).
    Statement e(store.db(), "SELECT COUNT(*) FROM epochs e JOIN sweep_jobs m ON m.job_id = e.job_id WHERE m.sweep = ?");
    e.bind(1, sweep);
    const double trained = e.step() ? static_cast<double>(e.column_int64(0)) : 0;
    if (p.busy_s > 0 && trained > 0) {
      p.epochs_per_hour = trained / p.busy_s * 3600.0;
      if (!p.running.empty() && p.live_run)
        p.eta_s = static_cast<double>(p.epochs_total - p.epochs_done) / *p.epochs_per_hour * 3600.0;
    }
  }
  return p;
}

std::string format_progress(const SweepProgress& p, double now) {
  std::ostringstream out;
  out << "sweep " << p.sweep << ": " << p.total << " jobs";
  for (JobStatus st : kJobStatusesByProgress) out << ", " << p.counts[st] << " " << to_string(st);
  out << "\n";
  if (p.removed > 0)
    out << "  removed by edits of the sweep file: " << p.removed << " job(s), results kept (list them: metasweep "
        << "results --db " << shell_word(p.db) << " --sweep " << shell_word(p.sweep) << " --removed)\n";
  const double pct =
      p.epochs_total > 0 ? 100.0 * static_cast<double>(p.epochs_done) / static_cast<double>(p.epochs_total) : 0;
  out << "  progress: " << p.epochs_done << "/" << p.epochs_total << " epochs (" << fixed(pct, 1) << "%)";
  if (p.first_start) out << ", elapsed " << format_duration(p.busy_s) << " (time with a job training, over every run)";
  out << "\n";
  out << "  throughput: ";
  if (p.epochs_per_hour)
    out << fixed(*p.epochs_per_hour, 1) << " epochs/h";
  else
    out << "no epoch finished yet";
  if (!p.running.empty() && p.live_run) out << ", " << fixed(p.samples_per_s, 0) << " samples/s now";
  if (p.costs.attempts > 0) out << "\n  compute: " << format_attempt_costs(p.costs);
  out << "\n  ETA: ";
  if (p.stale_running())
    out << "not running: " << p.running.size() << " job(s) recorded as running, but no metasweep run holds "
        << "the database's lock (that run died); re-run the sweep to resume them";
  else if (p.eta_s)
    out << format_duration(*p.eta_s);
  else if (p.running.empty() && p.counts[JobStatus::Pending] > 0)
    out << "not running (" << p.counts[JobStatus::Pending] << " pending)";
  else if (p.running.empty())
    out << "finished";
  else
    out << "unknown until an epoch finishes";
  out << "\n";
  if (!p.running.empty()) {
    TextTable t;
    t.header = {p.live_run ? "running (live run, pid " + *p.live_run + ")" : std::string("stale (run died)"),
                "section",
                "variant",
                "seed",
                "epoch",
                "test_acc",
                "for",
                "host"};
    t.right = {false, false, false, true, true, true, true, false};
    for (const auto& r : p.running)
      t.rows.push_back({r.id, r.section, r.variant, std::to_string(r.seed),
                        std::to_string(r.epochs_done) + "/" + std::to_string(r.epochs_total),
                        r.test_acc ? fixed(*r.test_acc, 4) : "-",
                        p.live_run ? format_duration(now - r.started_at) : "-", r.host});
    std::istringstream lines(render_plain(t));
    for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
  }
  auto first_line = [](const std::string& error) {
    std::string message = error.empty() ? "-" : error.substr(0, error.find('\n'));
    return message.size() < error.size() ? message + " [...]" : message;
  };
  if (!p.failures.empty() && p.failures.size() <= kStatusListedFailures) {
    // One aligned row per failed or diverged job, or pending one whose last attempt its group's GPU
    // ended; only the first line of a long error message.
    TextTable t;
    t.header = {"problem", "section", "variant", "seed", "tries", "failed", "message"};
    t.right = {false, false, false, true, true, true, false};
    for (const auto& f : p.failures)
      t.rows.push_back({std::string(to_string(f.status)) + " " + f.id, f.section, f.variant, std::to_string(f.seed),
                        std::to_string(f.attempts), std::to_string(f.failures), first_line(f.error)});
    std::istringstream lines(render_plain(t));
    for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
  } else if (!p.failures.empty()) {
    // Too many to list: one row per status and message (most frequent first), with a few ids.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> groups;
    for (const auto& f : p.failures) groups[{to_string(f.status), first_line(f.error)}].push_back(f.id);
    std::vector<std::pair<std::pair<std::string, std::string>, std::vector<std::string>>> sorted(groups.begin(),
                                                                                                 groups.end());
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
    TextTable t;
    t.header = {"problem", "jobs", "for example", "message"};
    t.right = {false, true, false, false};
    for (const auto& [key, ids] : sorted) {
      std::string some;
      for (size_t i = 0; i < ids.size() && i < 3; ++i) some += (i ? " " : "") + ids[i];
      if (ids.size() > 3) some += " ...";
      t.rows.push_back({key.first, std::to_string(ids.size()), some, key.second});
    }
    std::istringstream lines(render_plain(t));
    for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
    out << "  list every one: metasweep results --db " << shell_word(p.db) << " --sweep " << shell_word(p.sweep)
        << " --where status=failed (or --where status=diverged)\n";
  }
  return out.str();
}

}  // namespace ms
