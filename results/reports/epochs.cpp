// Per-epoch rows and grouped learning curves (see epochs.h).
#include "results/reports/epochs.h"

#include <cmath>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "results/reports/format.h"
#include "results/reports/text_table.h"

namespace ms {

using nlohmann::json;

namespace {

const std::vector<std::string> kJobColumns = {"train_loss", "test_loss", "test_acc", "lr", "samples_per_s", "wall_s"};

std::string cell(std::optional<double> v, const std::string& metric) {
  if (!v) return "-";
  if (metric == "samples_per_s") return fixed(*v, 0);
  if (metric == "wall_s") return fixed(*v, 1);
  if (metric == "lr") {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", *v);
    return buffer;
  }
  return fixed(*v, 4);
}

json num(std::optional<double> v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

}  // namespace

const std::vector<std::string>& epoch_metrics() {
  static const std::vector<std::string> names = {"train_loss", "test_loss",     "test_acc", "test_seq_acc",
                                                 "lr",         "samples_per_s", "wall_s"};
  return names;
}

namespace {
std::optional<double> finite_metric(const EpochMetrics& m, const std::string& name) {
  if (name == "train_loss") return m.train_loss;
  if (name == "test_loss") return m.test_loss;
  if (name == "test_acc") return m.test_acc;
  if (name == "test_seq_acc") return m.test_seq_acc < 0 ? std::nullopt : std::optional<double>(m.test_seq_acc);
  if (name == "lr") return m.lr;
  if (name == "samples_per_s") return m.samples_per_s;
  if (name == "wall_s") return m.wall_s;
  return std::nullopt;
}
}  // namespace

std::optional<double> epoch_metric(const EpochMetrics& m, const std::string& name) {
  // A NaN or infinite value (a diverged epoch's loss) is missing: an empty cell, JSON null, no
  // point on a plot, and out of the means.
  const std::optional<double> v = finite_metric(m, name);
  return v && std::isfinite(*v) ? v : std::nullopt;
}

std::vector<EpochRow> select_epochs(const ResultStore& store, const std::vector<JobRow>& jobs) {
  std::vector<EpochRow> rows;
  for (size_t i = 0; i < jobs.size(); ++i)
    for (const EpochMetrics& m : store.epochs(jobs[i].id)) rows.push_back({i, m});
  return rows;
}

std::vector<CurvePoint> group_epochs(const std::vector<JobRow>& jobs, const std::vector<EpochRow>& rows,
                                     const std::vector<std::string>& keys) {
  // Groups in the jobs' order, then epochs ascending.
  std::map<std::vector<std::string>, size_t> group_index;
  std::vector<std::vector<std::string>> group_values;
  std::vector<size_t> group_of(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::vector<std::string> values;
    for (const auto& key : keys) values.push_back(jobs[i].field(key));
    auto [it, inserted] = group_index.emplace(values, group_values.size());
    if (inserted) group_values.push_back(values);
    group_of[i] = it->second;
  }
  std::map<std::pair<size_t, int64_t>, std::vector<const EpochMetrics*>> cells;
  // A job two sweeps share (a row per sweep) is one curve: its epochs count once in a group.
  std::set<std::tuple<size_t, std::string, int64_t>> seen;  // (group, job id, epoch)
  for (const EpochRow& r : rows)
    if (seen.emplace(group_of.at(r.job), jobs.at(r.job).id, r.m.epoch).second)
      cells[{group_of.at(r.job), r.m.epoch}].push_back(&r.m);
  std::vector<CurvePoint> points;
  for (const auto& [key, members] : cells) {
    CurvePoint p;
    p.keys = keys;
    p.values = group_values[key.first];
    p.epoch = key.second;
    p.jobs = static_cast<int>(members.size());
    for (const auto& metric : epoch_metrics()) {
      std::vector<double> values;
      for (const EpochMetrics* m : members)
        if (auto v = epoch_metric(*m, metric)) values.push_back(*v);
      if (!values.empty()) p.metrics[metric] = summarize(values);
    }
    points.push_back(std::move(p));
  }
  return points;
}

void write_epochs(std::ostream& out, const std::vector<JobRow>& jobs, const std::vector<EpochRow>& rows,
                  OutputFormat format, const std::string& metric) {
  // Every format is written row by row: 450,000 epochs held as one JSON document took 1.4 GB, as
  // table cells and text 760 MB (1.1 GB as markdown).
  if (format == OutputFormat::Json) {  // the text json::dump(2) gives for the whole array
    if (rows.empty()) {
      out << "[]\n";
      return;
    }
    out << "[\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      const EpochRow& r = rows[i];
      const JobRow& j = jobs.at(r.job);
      json o = {{"id", j.id},           {"sweep", j.sweep}, {"section", j.section},
                {"variant", j.variant}, {"seed", j.seed},   {"status", to_string(j.status)},
                {"epoch", r.m.epoch}};
      for (const auto& m : epoch_metrics()) o[m] = num(epoch_metric(r.m, m));
      const std::string text = o.dump(2);
      out << "  ";
      for (char c : text) out << c << (c == '\n' ? "  " : "");
      out << (i + 1 < rows.size() ? ",\n" : "\n");
    }
    out << "]\n";
    return;
  }
  // CSV carries every metric at full precision; the other formats the default columns (or
  // `metric`), rounded for reading.
  const bool csv = format == OutputFormat::Csv;
  const std::vector<std::string> metrics = csv              ? epoch_metrics()
                                           : metric.empty() ? kJobColumns
                                                            : std::vector<std::string>{metric};
  TextTable t;
  t.header = {"id", "sweep", "section", "variant", "seed", "status", "epoch"};
  t.right = {false, false, false, false, true, false, true};
  for (const auto& m : metrics) {
    t.header.push_back(m);
    t.right.push_back(true);
  }
  const TableRows table_rows{rows.size(), [&](size_t i) {
                               const EpochRow& r = rows[i];
                               const JobRow& j = jobs.at(r.job);
                               std::vector<std::string> row = {j.id,
                                                               j.sweep,
                                                               j.section,
                                                               j.variant,
                                                               std::to_string(j.seed),
                                                               to_string(j.status),
                                                               std::to_string(r.m.epoch)};
                               for (const auto& m : metrics) {
                                 const auto v = epoch_metric(r.m, m);
                                 row.push_back(csv ? (v ? shortest(*v) : "") : cell(v, m));
                               }
                               return row;
                             }};
  write_table(out, t, table_rows, format);
}

std::string format_epochs(const std::vector<JobRow>& jobs, const std::vector<EpochRow>& rows, OutputFormat format,
                          const std::string& metric) {
  std::ostringstream out;
  write_epochs(out, jobs, rows, format, metric);
  return out.str();
}

std::string format_curves(const std::vector<CurvePoint>& points, OutputFormat format, const std::string& metric) {
  if (format == OutputFormat::Json) {
    json array = json::array();
    for (const CurvePoint& p : points) {
      json o = json::object();
      for (size_t i = 0; i < p.keys.size(); ++i) o[p.keys[i]] = p.values[i];
      o["epoch"] = p.epoch;
      o["jobs"] = p.jobs;
      json mean = json::object(), std_ = json::object(), n = json::object(), min = json::object(), max = json::object();
      for (const auto& m : epoch_metrics()) {
        auto it = p.metrics.find(m);
        const bool have = it != p.metrics.end();
        mean[m] = have ? num(it->second.mean) : json(nullptr);
        std_[m] = have ? num(it->second.std) : json(nullptr);
        n[m] = have ? it->second.n : 0;
        min[m] = have ? num(it->second.min) : json(nullptr);
        max[m] = have ? num(it->second.max) : json(nullptr);
        o[m] = mean[m];  // like grouped results: the metric fields hold the group mean
      }
      o["mean"] = mean;
      o["std"] = std_;
      o["n"] = n;
      o["min"] = min;
      o["max"] = max;
      array.push_back(std::move(o));
    }
    return array.dump(2) + "\n";
  }
  TextTable t;
  if (!points.empty()) t.header = points.front().keys;
  t.right.assign(t.header.size(), false);
  if (format == OutputFormat::Csv) {
    t.header.push_back("epoch");
    t.header.push_back("jobs");
    for (const auto& m : epoch_metrics())
      for (const char* s : {"_mean", "_std", "_n", "_min", "_max"}) t.header.push_back(m + s);
    for (const CurvePoint& p : points) {
      std::vector<std::string> row = p.values;
      row.push_back(std::to_string(p.epoch));
      row.push_back(std::to_string(p.jobs));
      for (const auto& m : epoch_metrics()) {
        auto it = p.metrics.find(m);
        if (it == p.metrics.end()) {
          row.insert(row.end(), {"", "", "0", "", ""});
          continue;
        }
        const Summary& s = it->second;
        row.insert(row.end(), {shortest(s.mean), std::isnan(s.std) ? "" : shortest(s.std), std::to_string(s.n),
                               shortest(s.min), shortest(s.max)});
      }
      t.rows.push_back(std::move(row));
    }
    return render_csv(t);
  }
  const std::string primary = metric.empty() ? "test_acc" : metric;
  const std::vector<std::string> extra =
      metric.empty() ? std::vector<std::string>{"train_loss", "test_loss"} : std::vector<std::string>{};
  for (const std::string& h :
       {std::string("epoch"), std::string("n"), primary + " (mean ± std)", std::string("min"), std::string("max")}) {
    t.header.push_back(h);
    t.right.push_back(true);
  }
  for (const auto& m : extra) {
    t.header.push_back(m);
    t.right.push_back(true);
  }
  for (const CurvePoint& p : points) {
    std::vector<std::string> row = p.values;
    row.push_back(std::to_string(p.epoch));
    auto it = p.metrics.find(primary);
    row.push_back(it == p.metrics.end() ? "0" : std::to_string(it->second.n));
    if (it == p.metrics.end()) {
      row.insert(row.end(), {"-", "-", "-"});
    } else {
      const Summary& s = it->second;
      row.push_back(cell(s.mean, primary) + (std::isnan(s.std) ? "" : " ± " + cell(s.std, primary)));
      row.push_back(cell(s.min, primary));
      row.push_back(cell(s.max, primary));
    }
    for (const auto& m : extra) {
      auto e = p.metrics.find(m);
      row.push_back(e == p.metrics.end() ? "-" : cell(e->second.mean, m));
    }
    t.rows.push_back(std::move(row));
  }
  return render_table(t, format);
}

}  // namespace ms
