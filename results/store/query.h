// Selecting results: one row per (sweep, job) filtered by --where clauses, and rows grouped by
// keys (default section + variant, so seeds are aggregated) with mean, sample std, n, min and
// max per metric and the statuses counted. Groups keep the sweep file's order.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/store/store.h"
#include "results/store/where.h"

namespace ms {

struct JobRow {
  std::string sweep, section, variant, id, error, host;
  JobStatus status = JobStatus::Pending;
  int64_t position = 0;
  int64_t seed = 0;
  std::optional<double> reference;
  int64_t attempts = 0;  // every start, interrupted ones included
  int64_t failures = 0;  // the attempts that ended failed (what run --max-retries limits)
  std::optional<int64_t> params, macs, epochs_total;
  int64_t epochs_done = 0;
  std::optional<double> test_acc, test_loss, train_loss, test_seq_acc, wall_s, samples_per_s;
  std::optional<double> started_at, finished_at;
  // Nested, resolved; shared by the rows of one config (a variant's seeds), which a large sweep
  // would otherwise hold once per seed.
  std::shared_ptr<const nlohmann::json> config = std::make_shared<const nlohmann::json>(nlohmann::json::object());
  bool removed = false;    // a former member: an edit of the sweep file dropped it (shown only to a query by id)
  std::string trained_by;  // the metasweep version that trained it ("" before v3 recorded it)
  std::optional<int64_t> semantics;  // its training semantics (sweeps/version.h); none: not recorded
  std::optional<std::string> cell;   // its grid/zip cell's label ("" without one); none: not recorded (before v4)
  int64_t skipped_train = 0, skipped_test = 0;  // corrupt images its last epoch skipped (task.on_corrupt: skip)
  // What trained its epochs ("2× NVIDIA H200"; several joined by " + "; "" when not recorded).
  std::string device;

  std::optional<double> metric(const std::string& name) const;  // any of result_metrics()
  std::string field(const std::string& key) const;              // job field or dotted config key, as text
};

// Metrics that are aggregated over a group (and accepted by --metric).
const std::vector<std::string>& result_metrics();

struct Summary {
  int n = 0;
  double mean = 0, std = 0, min = 0, max = 0;  // std: sample std (n-1), NaN when n < 2
  std::vector<double> values;
};

Summary summarize(const std::vector<double>& values);

struct GroupRow {
  std::vector<std::string> keys;           // group-by keys
  std::vector<std::string> values;         // their values for this group
  std::vector<JobRow> jobs;                // members, in sweep order
  std::map<std::string, Summary> metrics;  // only present when n > 0
  StatusCounts status_counts;
  std::string status_text() const { return status_counts.text(); }  // "3 done" / "2 done, 1 diverged"
  bool has(JobStatus status) const { return status_counts.has(status); }
  nlohmann::json common_config() const;  // config entries shared by every member
};

struct ResultQuery {
  std::string sweep;               // empty: every sweep
  std::vector<WhereClause> where;  // ANDed
  bool removed = false;            // only the jobs edits of the sweep files removed
};

// Rows of the sweeps' current definitions. A query with `id=...` also finds jobs that an edit of
// their sweep file removed (JobRow::removed); a query with `removed` finds only those. Throws ms::UsageError for an
// unknown sweep or an unknown config key (with a hint).
std::vector<JobRow> select_jobs(const ResultStore& store, const ResultQuery& query);

// Aggregates over members whose status is `done` (params and macs over every member). A job in
// several of the rows (two sweeps share it) is one member of its group. The rows become the
// groups' members: pass a temporary (or std::move) to keep one copy of a large sweep.
std::vector<GroupRow> group_jobs(std::vector<JobRow> rows, const std::vector<std::string>& keys);

// "section,variant" -> {"section", "variant"}; throws ms::UsageError for an unknown key.
std::vector<std::string> parse_group_keys(const std::string& text, const std::vector<std::string>& known_config_keys);

// Dotted config keys present in the database (plus every schema key).
std::vector<std::string> known_config_keys(const ResultStore& store);

}  // namespace ms
