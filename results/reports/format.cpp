// Formatting result rows and groups (see format.h).
#include "results/reports/format.h"

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "results/reports/text_table.h"
#include "sweeps/config_schema.h"
#include "sweeps/errors.h"
#include "sweeps/resolve.h"

namespace ms {

using nlohmann::json;

namespace {

// The job table's metric columns (train_loss and the rest: --metric NAME, csv or json).
const std::vector<std::string> kDefaultMetrics = {"test_acc", "test_loss", "params", "macs", "wall_s", "samples_per_s"};

// Table, markdown and LaTeX cells (CSV and JSON keep full precision): counts as 1.00M / 100M so
// a job row fits a terminal, samples/s whole, seconds to one decimal, the rest to four.
bool is_count(const std::string& metric) { return metric == "params" || metric == "macs"; }

int decimals_of(const std::string& metric) {
  if (metric == "epochs_done" || metric == "epochs_total" || metric == "attempts" || metric == "failures") return 0;
  if (metric == "samples_per_s") return 0;
  if (metric == "wall_s") return 1;
  return 4;
}

std::string number_cell(double v, const std::string& metric) {
  return is_count(metric) ? si_count(v) : fixed(v, decimals_of(metric));
}

std::string cell_of(std::optional<double> v, const std::string& metric) { return v ? number_cell(*v, metric) : "-"; }

std::string mean_std(const GroupRow& g, const std::string& metric) {
  auto it = g.metrics.find(metric);
  if (it == g.metrics.end()) return "-";
  const Summary& s = it->second;
  if (std::isnan(s.std) || is_count(metric)) return number_cell(s.mean, metric);
  return number_cell(s.mean, metric) + " ± " + number_cell(s.std, metric);
}

json opt(std::optional<double> v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }
json opt(std::optional<int64_t> v) { return v ? json(*v) : json(nullptr); }
json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

std::string dump_array(const json& array) { return array.dump(2) + "\n"; }

bool several_sweeps(const std::vector<JobRow>& rows) {
  std::set<std::string> names;
  for (const auto& r : rows) names.insert(r.sweep);
  return names.size() > 1;
}

TextTable jobs_csv(const std::vector<JobRow>& rows) {
  TextTable t;
  t.header = {"id",     "sweep",    "section", "variant",     "seed",
              "status", "attempts", "error",   "epochs_done", "epochs_total"};
  for (const auto& m : result_metrics())
    if (m != "epochs_done") t.header.push_back(m);
  t.header.push_back("reference");
  t.header.push_back("trained_by");
  t.header.push_back("semantics");
  t.header.push_back("failures");  // after the older columns: scripts that cut by position keep working
  t.header.push_back("skipped_train");
  t.header.push_back("skipped_test");
  t.header.push_back("device");
  std::set<std::string> config_keys;
  std::map<const json*, json> flat_of;  // one flattening per distinct config (rows share them)
  for (const auto& r : rows) {
    auto [it, added] = flat_of.emplace(r.config.get(), json());
    if (!added) continue;
    it->second = flatten_config(*r.config);
    for (auto k = it->second.begin(); k != it->second.end(); ++k) config_keys.insert(k.key());
  }
  for (const auto& k : config_keys) t.header.push_back(k);
  for (size_t i = 0; i < rows.size(); ++i) {
    const JobRow& r = rows[i];
    std::vector<std::string> row = {r.id,
                                    r.sweep,
                                    r.section,
                                    r.variant,
                                    std::to_string(r.seed),
                                    to_string(r.status),
                                    std::to_string(r.attempts),
                                    r.error,
                                    std::to_string(r.epochs_done),
                                    r.epochs_total ? std::to_string(*r.epochs_total) : ""};
    for (const auto& m : result_metrics()) {
      if (m == "epochs_done") continue;
      const auto v = r.metric(m);
      row.push_back(!v ? "" : (m == "params" || m == "macs") ? fixed(*v, 0) : shortest(*v));
    }
    row.push_back(r.reference ? shortest(*r.reference) : "");
    row.push_back(r.trained_by);
    row.push_back(r.semantics ? std::to_string(*r.semantics) : "");
    row.push_back(std::to_string(r.failures));
    row.push_back(std::to_string(r.skipped_train));
    row.push_back(std::to_string(r.skipped_test));
    row.push_back(r.device);
    for (const auto& k : config_keys) {
      const json& flat = flat_of.at(r.config.get());
      if (!flat.contains(k))
        row.push_back("");
      else
        row.push_back(flat.at(k).is_string() ? flat.at(k).get<std::string>() : flat.at(k).dump());
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

TextTable groups_csv(const std::vector<GroupRow>& groups) {
  TextTable t;
  if (!groups.empty()) t.header = groups.front().keys;
  for (const char* h : {"jobs", "statuses"}) t.header.push_back(h);
  for (JobStatus st : kJobStatuses) t.header.push_back(to_string(st));
  for (const auto& m : result_metrics())
    for (const char* s : {"_mean", "_std", "_n", "_min", "_max"}) t.header.push_back(m + s);
  for (const GroupRow& g : groups) {
    std::vector<std::string> row = g.values;
    row.push_back(std::to_string(g.jobs.size()));
    row.push_back(g.status_text());
    for (JobStatus st : kJobStatuses) row.push_back(std::to_string(g.status_counts[st]));
    for (const auto& m : result_metrics()) {
      auto it = g.metrics.find(m);
      if (it == g.metrics.end()) {
        row.insert(row.end(), {"", "", "0", "", ""});
        continue;
      }
      const Summary& s = it->second;
      row.push_back(shortest(s.mean));
      row.push_back(std::isnan(s.std) ? "" : shortest(s.std));
      row.push_back(std::to_string(s.n));
      row.push_back(shortest(s.min));
      row.push_back(shortest(s.max));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace

void write_table(std::ostream& out, const TextTable& t, const TableRows& rows, OutputFormat format) {
  switch (format) {
    case OutputFormat::Csv:
      return write_csv(out, t, rows);
    case OutputFormat::Markdown:
      return write_markdown(out, t, rows);
    case OutputFormat::Latex:
      out << latex_header_comment("metasweep results", "booktabs");
      return write_latex(out, t, rows);
    default:
      return write_plain(out, t, rows);
  }
}

std::string render_table(const TextTable& t, OutputFormat format) {
  std::ostringstream out;
  write_table(out, t, rows_of(t), format);
  return out.str();
}

const std::vector<std::string>& output_format_names() {
  static const std::vector<std::string> names = {"table", "csv", "json", "markdown", "latex"};
  return names;
}

OutputFormat parse_output_format(const std::string& name) {
  if (name == "table") return OutputFormat::Table;
  if (name == "csv") return OutputFormat::Csv;
  if (name == "json") return OutputFormat::Json;
  if (name == "markdown") return OutputFormat::Markdown;
  if (name == "latex") return OutputFormat::Latex;
  throw UsageError("--format '" + name + "': expected one of " + join(output_format_names(), ", "));
}

json job_json(const JobRow& r) {
  return json{{"id", r.id},
              {"sweep", r.sweep},
              {"section", r.section},
              {"variant", r.variant},
              {"seed", r.seed},
              {"status", to_string(r.status)},
              {"attempts", r.attempts},
              {"failures", r.failures},
              {"error", r.error.empty() ? json(nullptr) : json(r.error)},
              {"epochs_done", r.epochs_done},
              {"epochs_total", opt(r.epochs_total)},
              {"params", opt(r.params)},
              {"macs", opt(r.macs)},
              {"test_acc", opt(r.test_acc)},
              {"test_loss", opt(r.test_loss)},
              {"train_loss", opt(r.train_loss)},
              {"test_seq_acc", opt(r.test_seq_acc)},
              {"wall_s", opt(r.wall_s)},
              {"samples_per_s", opt(r.samples_per_s)},
              {"reference", opt(r.reference)},
              {"config", *r.config},
              {"removed", r.removed},
              {"trained_by", r.trained_by.empty() ? json(nullptr) : json(r.trained_by)},
              {"semantics", opt(r.semantics)},
              {"skipped_train", r.skipped_train},
              {"skipped_test", r.skipped_test},
              {"device", r.device.empty() ? json(nullptr) : json(r.device)}};
}

json group_json(const GroupRow& g) {
  json out = json::object();
  for (size_t i = 0; i < g.keys.size(); ++i) out[g.keys[i]] = g.values[i];
  auto common = [&](auto get) -> json {
    json first = get(g.jobs.front());
    for (const JobRow& j : g.jobs)
      if (get(j) != first) return nullptr;
    return first;
  };
  json ids = json::array(), seeds = json::array();
  for (const JobRow& j : g.jobs) {
    ids.push_back(j.id);
    seeds.push_back(j.seed);
  }
  out["sweep"] = common([](const JobRow& j) { return json(j.sweep); });
  out["section"] = common([](const JobRow& j) { return json(j.section); });
  out["variant"] = common([](const JobRow& j) { return json(j.variant); });
  out["id"] = ids.size() == 1 ? ids[0] : json(nullptr);
  out["ids"] = ids;
  out["seed"] = seeds.size() == 1 ? seeds[0] : json(nullptr);
  out["seeds"] = seeds;
  const json status = common([](const JobRow& j) { return json(to_string(j.status)); });
  out["status"] = status.is_null() ? json("mixed") : status;
  json statuses = json::object();  // the non-zero counts
  for (JobStatus st : kJobStatuses)
    if (g.has(st)) statuses[to_string(st)] = g.status_counts[st];
  out["statuses"] = statuses;
  out["jobs"] = g.jobs.size();
  out["diverged"] = g.has(JobStatus::Diverged);
  json mean = json::object(), std_ = json::object(), n = json::object(), min = json::object(), max = json::object();
  for (const auto& m : result_metrics()) {
    auto it = g.metrics.find(m);
    const bool have = it != g.metrics.end();
    mean[m] = have ? num(it->second.mean) : json(nullptr);
    std_[m] = have ? num(it->second.std) : json(nullptr);
    n[m] = have ? it->second.n : 0;
    min[m] = have ? num(it->second.min) : json(nullptr);
    max[m] = have ? num(it->second.max) : json(nullptr);
    out[m] = mean[m];  // the contract fields hold the group mean
  }
  out["mean"] = mean;
  out["std"] = std_;
  out["n"] = n;
  out["min"] = min;
  out["max"] = max;
  out["config"] = g.common_config();
  return out;
}

std::string format_jobs(const std::vector<JobRow>& rows, OutputFormat format, const std::string& metric) {
  if (format == OutputFormat::Json) {  // dump_array's text, built one job at a time (a large sweep's JSON
    std::string out = "[";             // values would take several times its text)
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string element = job_json(rows[i]).dump(2);
      out += i ? ",\n  " : "\n  ";
      for (const char c : element) out += c == '\n' ? std::string("\n  ") : std::string(1, c);
    }
    return out + (rows.empty() ? "]\n" : "\n]\n");
  }
  if (format == OutputFormat::Csv) return render_csv(jobs_csv(rows));
  const std::vector<std::string> metrics = metric.empty() ? kDefaultMetrics : std::vector<std::string>{metric};
  const bool sweep_column = several_sweeps(rows);
  TextTable t;
  if (sweep_column) t.header.push_back("sweep");
  for (const char* h : {"id", "section", "variant", "seed", "status", "epochs"}) t.header.push_back(h);
  t.right.assign(t.header.size(), false);
  t.right[t.header.size() - 3] = t.right[t.header.size() - 1] = true;  // seed, epochs
  for (const auto& m : metrics) {
    t.header.push_back(m);
    t.right.push_back(true);
  }
  for (const auto& r : rows) {
    std::vector<std::string> row;
    if (sweep_column) row.push_back(r.sweep);
    row.insert(row.end(),
               {r.id, r.section, r.variant, std::to_string(r.seed),
                r.removed ? std::string(to_string(r.status)) + " (removed from the sweep)" : to_string(r.status),
                std::to_string(r.epochs_done) + "/" + (r.epochs_total ? std::to_string(*r.epochs_total) : "?")});
    for (const auto& m : metrics) row.push_back(cell_of(r.metric(m), m));
    t.rows.push_back(std::move(row));
  }
  return render_table(t, format);
}

std::string format_groups(const std::vector<GroupRow>& groups, OutputFormat format, const std::string& metric) {
  if (format == OutputFormat::Json) {
    json array = json::array();
    for (const auto& g : groups) array.push_back(group_json(g));
    return dump_array(array);
  }
  if (format == OutputFormat::Csv) return render_csv(groups_csv(groups));
  const std::string primary = metric.empty() ? "test_acc" : metric;
  TextTable t;
  if (!groups.empty()) t.header = groups.front().keys;
  t.right.assign(t.header.size(), false);
  for (const std::string& h : {std::string("jobs"), std::string("status"), primary + " (mean ± std)", std::string("n"),
                               std::string("min"), std::string("max")}) {
    t.header.push_back(h);
    t.right.push_back(h != "status");
  }
  const std::vector<std::string> extra =
      metric.empty() ? std::vector<std::string>{"test_loss", "train_loss", "params", "macs", "samples_per_s"}
                     : std::vector<std::string>{};
  for (const auto& m : extra) {
    t.header.push_back(m);
    t.right.push_back(true);
  }
  for (const GroupRow& g : groups) {
    std::vector<std::string> row = g.values;
    row.push_back(std::to_string(g.jobs.size()));
    row.push_back(g.status_text());
    auto it = g.metrics.find(primary);
    row.push_back(mean_std(g, primary));
    row.push_back(it == g.metrics.end() ? "0" : std::to_string(it->second.n));
    row.push_back(it == g.metrics.end() ? "-" : number_cell(it->second.min, primary));
    row.push_back(it == g.metrics.end() ? "-" : number_cell(it->second.max, primary));
    for (const auto& m : extra) {
      auto e = g.metrics.find(m);
      row.push_back(e == g.metrics.end() ? "-" : number_cell(e->second.mean, m));
    }
    t.rows.push_back(std::move(row));
  }
  return render_table(t, format);
}

}  // namespace ms
