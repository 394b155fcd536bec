// The end-of-run summary (see run_summary.h).
#include "orchestrator/run_summary.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "results/reports/sweep_progress.h"
#include "results/reports/text_table.h"
#include "results/store/query.h"
#include "results/store/sweep_admin.h"
#include "sweeps/config_schema.h"  // join
#include "sweeps/user_text.h"

namespace ms {

namespace {

constexpr int kListedFailures = 5;  // failed jobs of earlier runs named in the summary

}  // namespace

std::string format_run_summary(const RunSummary& s, const ResultStore& store, const std::string& sweep,
                               const std::string& db_path, int top) {
  std::ostringstream out;
  out << "sweep " << sweep << ": " << s.done << " done, " << s.diverged << " diverged, " << s.failed << " failed, "
      << s.skipped_done << " already finished";
  if (s.failed_before) out << ", " << s.failed_before << " failed earlier and not retried";
  if (s.not_run) out << ", " << s.not_run << " not run";
  out << "; this run took " << format_duration(s.elapsed_s) << "\n";
  if (!s.groups_lost.empty()) {  // hardware to look at before the next run
    out << "worker groups whose GPU or NCCL communicator failed (they took no more jobs; the errors are their "
           "failed jobs'): "
        << join(s.groups_lost, ", ") << "\n";
  }
  ResultQuery q;
  q.sweep = sweep;
  std::vector<JobRow> rows = select_jobs(store, q);
  const std::string db = shell_word(db_path), name = shell_word(sweep);
  // Failed jobs named with the first line of their error, kListedFailures at the most.
  auto list_failed = [&](const std::set<std::string>& ids) {
    int listed = 0;
    for (const JobRow& row : rows) {
      if (!ids.count(row.id) || listed == kListedFailures) continue;
      ++listed;
      out << "  " << row.id << " " << row.section << " / " << row.variant << " seed " << row.seed << ": "
          << row.error.substr(0, row.error.find('\n')) << "\n";
    }
    if (static_cast<int>(ids.size()) > listed)
      out << "  ... and " << ids.size() - listed << " more (metasweep status --db " << db << " lists them all)\n";
  };
  const std::set<std::string> before(s.failed_before_ids.begin(), s.failed_before_ids.end());
  if (s.failed > 0) {  // this run's failures: which, and why, before they scroll away
    std::set<std::string> now;
    for (const JobRow& row : rows)
      if (row.status == JobStatus::Failed && !before.count(row.id)) now.insert(row.id);
    if (!now.empty()) {
      out << "failed in this run:\n";
      list_failed(now);
    }
  }
  if (s.failed_before) {  // still failed: say which, and how to run them again
    out << "failed in an earlier run, attempts used up (not retried; `run` exits 1 while they stay failed):\n";
    list_failed(before);
    out << "  to retry them: the same `run` command with --max-retries " << s.retries_needed
        << "; to start one over: metasweep forget --db " << db << " --job " << s.failed_before_ids.front() << "\n";
  }
  if (!s.checkpoint_dir.empty()) {  // kept to resume from when retried, until the job is forgotten
    int kept = 0;
    uintmax_t bytes = 0;
    std::string first;
    for (const JobRow& row : rows) {
      if (row.status != JobStatus::Failed) continue;
      bool any = false;
      for (const std::string& path : checkpoint_files(s.checkpoint_dir, row.id)) {  // what forget removes
        std::error_code ec;
        const uintmax_t size = std::filesystem::file_size(path, ec);
        if (!ec) bytes += size, any = true;
      }
      if (any && kept++ == 0) first = row.id;
    }
    if (kept > 0) {
      char size[32];
      std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(bytes) / 1e6);
      out << kept << " failed job(s) keep their checkpoints in " << printable(s.checkpoint_dir) << " (" << size
          << " on this node) to resume from when retried; metasweep forget --db " << db << " --job " << first
          << " --checkpoint-dir " << shell_word(s.checkpoint_dir)
          << " starts one over (its record and attempts too) and removes them\n";
    }
  }
  std::vector<GroupRow> groups = group_jobs(std::move(rows), {"section", "variant"});
  groups.erase(
      std::remove_if(groups.begin(), groups.end(), [](const GroupRow& g) { return !g.metrics.count("test_acc"); }),
      groups.end());
  std::stable_sort(groups.begin(), groups.end(), [](const GroupRow& a, const GroupRow& b) {
    return a.metrics.at("test_acc").mean > b.metrics.at("test_acc").mean;
  });
  if (!groups.empty()) {
    out << "best variants (mean test_acc over done seeds):\n";
    size_t label_width = 0;
    const size_t shown = std::min(groups.size(), static_cast<size_t>(std::max(0, top)));
    std::vector<std::string> labels;
    for (size_t i = 0; i < shown; ++i) {
      labels.push_back(groups[i].values[0] + " / " + groups[i].values[1]);
      label_width = std::max(label_width, display_width(labels.back()));
    }
    for (size_t i = 0; i < shown; ++i) {
      const Summary& acc = groups[i].metrics.at("test_acc");
      char numbers[96];
      if (acc.n >= 2)
        std::snprintf(numbers, sizeof numbers, "%.4f ± %.4f (%d seeds)", acc.mean, acc.std, acc.n);
      else
        std::snprintf(numbers, sizeof numbers, "%.4f (1 seed)", acc.mean);
      out << "  " << i + 1 << ". " << labels[i] << std::string(label_width - display_width(labels[i]) + 2, ' ')
          << numbers;
      const std::string others = groups[i].status_text();
      if (groups[i].jobs.size() != static_cast<size_t>(acc.n)) out << "  [" << others << "]";
      out << "\n";
    }
  }
  out << "next:\n"
      << "  metasweep results --db " << db << " --sweep " << name << " --group-by section,variant\n"
      << "  metasweep report --db " << db << " --sweep " << name << " --out report\n";
  return out.str();
}

}  // namespace ms
