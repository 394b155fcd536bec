// Result rows, filters and grouping (see query.h).
#include "results/store/query.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "results/store/schema.h"
#include "sweeps/config_schema.h"
#include "sweeps/errors.h"
#include "sweeps/resolve.h"

namespace ms {

using nlohmann::json;

namespace {

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

[[noreturn]] void unknown_key(const std::string& what, const std::string& key) {
  if (is_key_prefix(key))  // model.stem, task.optimizer: a group, not one value
    throw UsageError(what + ": '" + key + "' is a group of keys: name one of them (" + key_group_members(key) + ")");
  const std::string hint = closest_key(key);
  throw UsageError(
      what + ": unknown key '" + key + "'" + (hint.empty() ? "" : " (did you mean " + hint + "?)") +
      "; expected a dotted config key (e.g. model.norm), sweep, section, variant, seed, status, id or device");
}

}  // namespace

const std::vector<std::string>& result_metrics() {
  static const std::vector<std::string> metrics = {"test_acc",      "test_loss", "train_loss", "test_seq_acc", "wall_s",
                                                   "samples_per_s", "params",    "macs",       "epochs_done"};
  return metrics;
}

std::optional<double> JobRow::metric(const std::string& name) const {
  if (name == "test_acc") return test_acc;
  if (name == "test_loss") return test_loss;
  if (name == "train_loss") return train_loss;
  if (name == "test_seq_acc") return test_seq_acc;
  if (name == "wall_s") return wall_s;
  if (name == "samples_per_s") return samples_per_s;
  if (name == "params") return params ? std::optional<double>(static_cast<double>(*params)) : std::nullopt;
  if (name == "macs") return macs ? std::optional<double>(static_cast<double>(*macs)) : std::nullopt;
  if (name == "epochs_done") return static_cast<double>(epochs_done);
  return std::nullopt;
}

std::string JobRow::field(const std::string& key) const {
  if (key == "sweep") return sweep;
  if (key == "section") return section;
  if (key == "variant") return variant;
  if (key == "status") return to_string(status);
  if (key == "id") return id;
  if (key == "seed") return std::to_string(seed);
  if (key == "device") return device;
  const json flat = flatten_config(*config);
  return flat.contains(key) ? text_of(flat.at(key)) : "";
}

Summary summarize(const std::vector<double>& values) {
  Summary s;
  s.values = values;
  s.n = static_cast<int>(values.size());
  if (values.empty()) return s;
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / s.n;
  s.min = *std::min_element(values.begin(), values.end());
  s.max = *std::max_element(values.begin(), values.end());
  if (s.n < 2) {
    s.std = std::numeric_limits<double>::quiet_NaN();
  } else {
    double ss = 0;
    for (double v : values) ss += (v - s.mean) * (v - s.mean);
    s.std = std::sqrt(ss / (s.n - 1));
  }
  return s;
}

json GroupRow::common_config() const {
  if (jobs.empty()) return json::object();
  json common = flatten_config(*jobs.front().config);
  for (const JobRow& job : jobs) {
    const json flat = flatten_config(*job.config);
    for (auto it = common.begin(); it != common.end();) {
      if (!flat.contains(it.key()) || flat.at(it.key()) != it.value())
        it = common.erase(it);
      else
        ++it;
    }
  }
  return nest_config(common);
}

std::vector<std::string> known_config_keys(const ResultStore& store) {
  std::set<std::string> keys;
  for (const KeySpec& spec : config_schema()) keys.insert(spec.key);
  Statement s(store.db(), "SELECT DISTINCT key FROM config_values");
  while (s.step()) keys.insert(s.column_text(0));
  return {keys.begin(), keys.end()};
}

std::vector<JobRow> select_jobs(const ResultStore& store, const ResultQuery& query) {
  if (!query.sweep.empty() && !store.has_sweep(query.sweep)) {
    const auto names = store.sweeps();
    throw UsageError("no sweep '" + query.sweep + "' in " + store.path() +
                     " (sweeps: " + (names.empty() ? std::string("none") : join(names, ", ")) + ")");
  }
  const auto known = known_config_keys(store);
  // Removed memberships are looked at only when the query names job ids: they never mix into a
  // sweep's tables, but a job an edit removed stays findable.
  const bool by_id = std::any_of(query.where.begin(), query.where.end(), [](const WhereClause& c) {
    return c.kind == WhereKeyKind::JobText && c.key == "id" && c.op == WhereOp::Eq;
  });
  const std::string cell = schema_version(store.db()) >= 4 ? "cell" : "NULL AS cell";
  const bool removed_table = store.has_table("removed_sweep_jobs");
  const std::string members =
      query.removed ? (removed_table ? "(SELECT sweep, job_id, section, variant, position, reference, " + cell +
                                           ", 1 AS removed FROM removed_sweep_jobs)"
                                     : "(SELECT sweep, job_id, section, variant, position, reference, " + cell +
                                           ", 1 AS removed FROM sweep_jobs WHERE 0)")
      : by_id && removed_table
          ? "(SELECT sweep, job_id, section, variant, position, reference, " + cell +
                ", 0 AS removed FROM sweep_jobs UNION ALL SELECT sweep, job_id, section, variant, position, "
                "reference, " +
                cell + ", 1 FROM removed_sweep_jobs)"
          : "(SELECT sweep, job_id, section, variant, position, reference, " + cell + ", 0 AS removed FROM sweep_jobs)";
  std::string sql =
      "SELECT m.sweep, m.section, m.variant, m.position, m.reference, j.id, j.seed, j.status, j.attempts, j.error, "
      "j.params, j.macs, j.epochs_total, j.epochs_done, j.test_acc, j.test_loss, j.train_loss, j.test_seq_acc, "
      "j.wall_s, j.samples_per_s, j.started_at, j.finished_at, j.host, j.config, m.removed, " +
      std::string(schema_version(store.db()) >= 3 ? "j.trained_by, j.semantics, " : "NULL, NULL, ") +
      "m.cell, j.failures, j.skipped_train, j.skipped_test, j.device FROM " + members + " m JOIN " +
      jobs_table_sql(store.db()) + " j ON j.id = m.job_id JOIN sweeps s ON s.name = m.sweep WHERE 1";
  std::vector<SqlParam> params;
  if (!query.sweep.empty()) {
    sql += " AND m.sweep = ?";
    params.emplace_back(query.sweep);
  }
  for (const WhereClause& clause : query.where) {
    if (clause.kind == WhereKeyKind::Config && !std::binary_search(known.begin(), known.end(), clause.key))
      unknown_key("--where '" + clause.expr + "'", clause.key);
    SqlFilter f = where_sql(clause);
    sql += " AND " + f.sql;
    params.insert(params.end(), f.params.begin(), f.params.end());
  }
  sql += " ORDER BY s.created_at, m.sweep, m.removed, m.position";
  Statement s(store.db(), sql);
  for (size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    if (const auto* text = std::get_if<std::string>(&params[i]))
      s.bind(index, *text);
    else
      s.bind(index, std::get<double>(params[i]));
  }
  std::vector<JobRow> rows;
  std::map<std::string, std::shared_ptr<const json>> configs;  // by their text: one parse per distinct config
  while (s.step()) {
    JobRow r;
    r.sweep = s.column_text(0);
    r.section = s.column_text(1);
    r.variant = s.column_text(2);
    r.position = s.column_int64(3);
    r.reference = s.column_optional_double(4);
    r.id = s.column_text(5);
    r.seed = s.column_int64(6);
    r.status = job_status_from_string(s.column_text(7));
    r.attempts = s.column_int64(8);
    r.error = s.column_text(9);
    r.params = s.column_optional_int64(10);
    r.macs = s.column_optional_int64(11);
    r.epochs_total = s.column_optional_int64(12);
    r.epochs_done = s.column_int64(13);
    r.test_acc = s.column_optional_double(14);
    r.test_loss = s.column_optional_double(15);
    r.train_loss = s.column_optional_double(16);
    r.test_seq_acc = s.column_optional_double(17);
    r.wall_s = s.column_optional_double(18);
    r.samples_per_s = s.column_optional_double(19);
    r.started_at = s.column_optional_double(20);
    r.finished_at = s.column_optional_double(21);
    r.host = s.column_text(22);
    std::string text = s.column_text(23);
    auto& shared = configs[text];
    if (!shared) {
      json parsed = json::parse(text, nullptr, false);
      shared = std::make_shared<const json>(parsed.is_discarded() ? json::object() : std::move(parsed));
    }
    r.config = shared;
    r.removed = s.column_int64(24) != 0;
    r.trained_by = s.column_text(25);
    r.semantics = s.column_optional_int64(26);
    if (!s.is_null(27)) r.cell = s.column_text(27);
    r.failures = s.column_int64(28);
    r.skipped_train = s.column_int64(29);
    r.skipped_test = s.column_int64(30);
    r.device = s.column_text(31);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<std::string> parse_group_keys(const std::string& text, const std::vector<std::string>& known) {
  const std::vector<std::string>& fields = where_job_fields();  // the job fields JobRow::field gives
  std::vector<std::string> keys;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string key = text.substr(start, comma - start);
    key.erase(0, key.find_first_not_of(" \t"));
    key.erase(key.find_last_not_of(" \t") + 1);
    start = comma + 1;
    if (key.empty()) continue;
    const bool field = std::find(fields.begin(), fields.end(), key) != fields.end();
    if (!field && !std::binary_search(known.begin(), known.end(), key)) unknown_key("--group-by", key);
    keys.push_back(key);
  }
  if (keys.empty()) throw UsageError("--group-by: no keys given; expected e.g. section,variant or model.norm");
  return keys;
}

std::vector<GroupRow> group_jobs(std::vector<JobRow> rows, const std::vector<std::string>& keys) {
  std::vector<GroupRow> groups;
  std::map<std::vector<std::string>, size_t> index;
  std::set<std::pair<size_t, std::string>> members;  // (group, job id)
  for (JobRow& row : rows) {
    std::vector<std::string> values;
    for (const auto& key : keys) values.push_back(row.field(key));
    auto [it, inserted] = index.emplace(values, groups.size());
    if (inserted) {
      GroupRow g;
      g.keys = keys;
      g.values = values;
      groups.push_back(std::move(g));
    }
    // A job two sweeps share is one result: counted once in a group (rows of several sweeps grouped
    // by anything but the sweep would count it once per sweep, and n, std and min/max with it).
    if (!members.emplace(it->second, row.id).second) continue;
    GroupRow& g = groups[it->second];
    ++g.status_counts[row.status];
    g.jobs.push_back(std::move(row));
  }
  for (GroupRow& g : groups) {
    for (const auto& metric : result_metrics()) {
      const bool structural = metric == "params" || metric == "macs";
      std::vector<double> values;
      for (const JobRow& job : g.jobs) {
        if (!structural && job.status != JobStatus::Done) continue;
        if (auto v = job.metric(metric)) values.push_back(*v);
      }
      if (!values.empty()) g.metrics[metric] = summarize(values);
    }
  }
  return groups;
}

}  // namespace ms
