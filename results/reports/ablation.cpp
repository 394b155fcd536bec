// Building and rendering the ablation table (see ablation.h).
#include "results/reports/ablation.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include <openssl/sha.h>

#include "sweeps/config_schema.h"
#include "sweeps/errors.h"
#include "sweeps/version.h"

namespace ms {

namespace {

std::string scaled(std::optional<double> v, double unit) {
  if (!v) return "-";
  const double x = *v / unit;
  char buffer[32];
  if (x >= 100)
    std::snprintf(buffer, sizeof(buffer), "%.0f", x);
  else if (x >= 10)
    std::snprintf(buffer, sizeof(buffer), "%.1f", x);
  else if (x >= 1 || x == 0)
    std::snprintf(buffer, sizeof(buffer), "%.2f", x);
  else  // three significant digits, never an exponent in a paper's table: 0.0109, 0.00709, 0.0000630
    std::snprintf(buffer, sizeof(buffer), "%.*f", std::min(9, 2 - static_cast<int>(std::floor(std::log10(x)))), x);
  return buffer;
}

std::optional<double> mean_metric(const GroupRow& g, const std::string& m) {
  auto it = g.metrics.find(m);
  if (it == g.metrics.end()) return std::nullopt;
  return it->second.mean;
}

// The rank correlation with the reference, or why there is none ("" when no row has a reference).
std::string spearman_note(const AblationTable& t, TableStyle style) {
  const char* rho = style == TableStyle::Latex ? "$\\rho$" : "ρ";
  char buffer[200];
  if (t.spearman)
    std::snprintf(buffer, sizeof(buffer),
                  " Spearman rank correlation with the reference: %s = %.2f over %d rows with a reference value.", rho,
                  *t.spearman, t.reference_n);
  else if (t.reference_n == 0)
    return "";
  else if (t.reference_n < static_cast<int>(kMinPairsForSpearman))
    std::snprintf(buffer, sizeof(buffer),
                  " No rank correlation with the reference: %d row%s with a reference value (%s needs %d; over 2 it "
                  "is always +1 or -1).",
                  t.reference_n, t.reference_n == 1 ? "" : "s", rho, static_cast<int>(kMinPairsForSpearman));
  else
    std::snprintf(buffer, sizeof(buffer),
                  " No rank correlation with the reference: over the %d rows with a reference value, ours or the "
                  "reference's are all equal.",
                  t.reference_n);
  return buffer;
}

// A baseline row's cell as its label spells it ("baseline, <cell>"; "" for "baseline").
std::string cell_of_baseline_label(const std::string& label) {
  const std::string prefix = "baseline, ";
  return label.size() > prefix.size() && label.rfind(prefix, 0) == 0 ? label.substr(prefix.size()) : "";
}

// Each row's grid/zip cell, and the row of that cell's baseline.
void assign_cells(AblationTable& t) {
  // Databases before schema v4 did not record cells: a baseline row's cell is what follows
  // "baseline, " in its label, and a variant row's is the longest baseline cell its label ends with.
  std::vector<std::string> legacy_cells;
  for (const AblationRow& r : t.rows)
    if (r.section == "baseline" && !r.group.jobs.front().cell)
      legacy_cells.push_back(cell_of_baseline_label(r.variant));
  std::map<std::string, size_t> baseline_of;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    AblationRow& r = t.rows[i];
    if (const auto& cell = r.group.jobs.front().cell) {
      r.cell = *cell;
    } else if (r.section == "baseline") {
      r.cell = cell_of_baseline_label(r.variant);
    } else {
      for (const std::string& c : legacy_cells)
        if (c.size() > r.cell.size() && r.variant.size() > c.size() + 2 &&
            r.variant.compare(r.variant.size() - c.size() - 2, std::string::npos, ", " + c) == 0)
          r.cell = c;
    }
    if (r.section == "baseline") baseline_of.emplace(r.cell, i);
    t.cells = t.cells || !r.cell.empty();
  }
  for (AblationRow& r : t.rows) {
    if (r.section == "baseline") continue;
    if (auto it = baseline_of.find(r.cell); it != baseline_of.end())
      r.baseline_row = it->second;
    else
      ++t.cells_without_baseline;
  }
}

}  // namespace

void check_metric_recorded(const std::vector<GroupRow>& groups, const std::string& sweep, const ReportMetric& metric) {
  // Sequence accuracy exists for sequence models only: decided from the configs, so that a report
  // --watch refuses it before the first job is done, not halfway through.
  auto can_record = [&](const JobRow& j) {
    if (metric.name != "test_seq_acc") return true;
    const auto model = j.config->find("model");
    return model == j.config->end() || !model->contains("arch") || model->at("arch") == "sequence";
  };
  bool any_done = false, any_can = false;
  for (const GroupRow& g : groups) {
    if (g.metrics.count(metric.name)) return;
    any_done = any_done || g.has(JobStatus::Done);
    for (const JobRow& j : g.jobs) any_can = any_can || can_record(j);
  }
  const std::string choose = "; choose another of " + join(report_metric_names(), ", ");
  if (!groups.empty() && !any_can)
    throw UsageError("--metric " + metric.name + ": no job of sweep '" + sweep +
                     "' can record it (only sequence models, model.arch: sequence, do)" + choose);
  if (any_done)
    throw UsageError("--metric " + metric.name + ": no done job of sweep '" + sweep + "' recorded it" + choose);
}

std::string summary_text(const Summary& s, const ReportMetric& m, const std::string& pm) {
  std::string text = fixed(s.mean * m.scale(), m.decimals());
  if (s.n >= 2) text += pm + fixed(s.std * m.scale(), m.decimals());
  return text + " (" + std::to_string(s.n) + ")";
}

std::string interval_text(const Interval& ci, int decimals) {
  return "[" + signed_fixed(ci.low, decimals) + ", " + signed_fixed(ci.high, decimals) + "]";
}

std::string p_value_text(const std::optional<TTest>& test, bool too_few_seeds, std::optional<double> p_adjusted,
                         bool unpaired) {
  const std::string welch = unpaired ? " (W)" : "";
  if (too_few_seeds) return "n<" + std::to_string(kMinSeedsForP) + welch;
  if (!test || !p_adjusted) return "-";
  return (*p_adjusted < 0.001 ? std::string("<0.001") : fixed(*p_adjusted, 3)) + welch;
}

std::map<int64_t, double> done_by_seed(const GroupRow& g, const std::string& metric) {
  std::map<int64_t, double> out;
  for (const JobRow& j : g.jobs)
    if (j.status == JobStatus::Done)
      if (const auto v = j.metric(metric)) out[j.seed] = *v;
  return out;
}

const char* const kUntestedMeansNote =
    " n<3 (W): the difference of the means of sides with no seed in common, one of them with a single done seed, "
    "so no test.";

std::string common_seeds_note(const std::string& mark, const std::string& who, const std::string& delta,
                              const std::string& pm) {
  return " " + mark + ": " + delta + ", its CI and p over only the seeds " + who +
         " done (a seed one side has not finished is left out of the comparison; the mean " + pm +
         " std is over all of a side's done seeds).";
}

std::optional<SeedComparison> compare_seeds(const GroupRow& a, const GroupRow& b, const std::string& metric) {
  const auto by_a = done_by_seed(a, metric), by_b = done_by_seed(b, metric);
  if (by_a.empty() || by_b.empty()) return std::nullopt;
  SeedComparison c;
  c.n_a = static_cast<int>(by_a.size()), c.n_b = static_cast<int>(by_b.size());
  std::vector<double> common_a, common_b;  // in seed order: the pairs line up
  for (const auto& [seed, value] : by_a)
    if (const auto it = by_b.find(seed); it != by_b.end()) {
      common_a.push_back(value);
      common_b.push_back(it->second);
    }
  c.common = static_cast<int>(common_a.size());
  // One seed in common pairs nothing to test: with 2+ done seeds a side, Welch over all of them
  // (a, b = {0, 1, 2}, {2, 3, 4} across two databases) says more than that one difference.
  const bool welch = c.common == 0 || (c.common == 1 && by_a.size() >= 2 && by_b.size() >= 2);
  if (!welch) {
    c.subset = static_cast<size_t>(c.common) != by_a.size() || static_cast<size_t>(c.common) != by_b.size();
    c.single_pair = c.common == 1;
    double sum = 0;
    for (size_t i = 0; i < common_a.size(); ++i) sum += common_a[i] - common_b[i];
    c.delta = sum / static_cast<double>(c.common);
    c.test = paired_t_test(common_a, common_b);
    return c;
  }
  c.common = 0;  // compared over all done seeds, not pairs
  std::vector<double> all_a, all_b;
  for (const auto& [seed, value] : by_a) all_a.push_back(value);
  for (const auto& [seed, value] : by_b) all_b.push_back(value);
  double sum_a = 0, sum_b = 0;
  for (double v : all_a) sum_a += v;
  for (double v : all_b) sum_b += v;
  c.delta = sum_a / static_cast<double>(all_a.size()) - sum_b / static_cast<double>(all_b.size());
  c.test = welch_t_test(all_a, all_b);
  c.means_untested = !c.test && std::min(c.n_a, c.n_b) < 2;
  return c;
}

std::vector<const AblationRow*> baselines_of(const AblationTable& t, size_t begin, size_t end) {
  std::vector<size_t> rows;
  for (size_t i = begin; i < end && i < t.rows.size(); ++i) rows.push_back(i);
  return baselines_of(t, rows);
}

std::vector<const AblationRow*> baselines_of(const AblationTable& t, const std::vector<size_t>& of) {
  std::vector<size_t> rows;
  for (size_t i : of)
    if (const auto b = t.rows.at(i).baseline_row; b && t.rows[*b].value) rows.push_back(*b);
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  std::vector<const AblationRow*> out;
  for (size_t i : rows) out.push_back(&t.rows[i]);
  return out;
}

AblationTable build_ablation(const ResultStore& store, const std::string& sweep, const std::string& metric) {
  AblationTable t;
  t.sweep = sweep;
  t.metric = report_metric(metric);
  const auto info = store.sweep_info(sweep);
  if (!info) {
    const auto names = store.sweeps();
    throw UsageError("no sweep '" + sweep + "' in " + store.path() +
                     " (sweeps: " + (names.empty() ? std::string("none") : join(names, ", ")) + ")");
  }
  t.description = info->description;
  t.reference_metric = info->reference_metric;
  ResultQuery q;
  q.sweep = sweep;
  auto groups = group_jobs(select_jobs(store, q), {"section", "variant"});
  check_metric_recorded(groups, sweep, t.metric);
  for (const auto& g : groups)
    for (const auto& j : g.jobs)
      if (j.status == JobStatus::Done) {
        (j.semantics.value_or(0) < semantics_needed(*j.config) ? t.older_done : t.current_done)++;
        t.jobs_skipping_test += j.skipped_test > 0;
        t.skipped_test += j.skipped_test;
        t.devices_done[j.device]++;
      }
  for (auto& g : groups) {
    AblationRow r;
    r.section = g.values[0];
    r.variant = g.values[1];
    if (auto it = g.metrics.find(t.metric.name); it != g.metrics.end()) r.value = it->second;
    r.reference = g.jobs.front().reference;
    r.group = std::move(g);  // (the row holds the jobs: one copy of a large sweep)
    if (t.rows.empty() || t.rows.back().section != r.section) t.section_starts.push_back(t.rows.size());
    t.rows.push_back(std::move(r));
  }
  assign_cells(t);
  for (const AblationRow& r : t.rows) t.baseline_done = t.baseline_done || (r.section == "baseline" && r.value);
  for (const AblationRow& r : t.rows)
    if (r.section == "baseline")
      for (const auto& j : r.group.jobs)
        t.baseline_live = t.baseline_live || j.status == JobStatus::Pending || j.status == JobStatus::Running;
  for (AblationRow& r : t.rows) {
    if (!r.baseline_row) continue;
    const AblationRow& base = t.rows[*r.baseline_row];
    ++t.variants;
    t.any_short = t.any_short || !r.value || !base.value || r.value->n < 2 || base.value->n < 2;
    if (!r.value || !base.value) continue;
    const std::optional<SeedComparison> c = compare_seeds(r.group, base.group, t.metric.name);
    if (!c) continue;
    r.delta = c->delta * t.metric.scale();
    r.test = c->test;
    r.common_seeds_only = c->subset;
    r.unpaired = c->common == 0;
    r.too_few_seeds = c->means_untested || c->single_pair;  // the p column says why: n<3
    r.equal_to_baseline = c->equal_without_test();
    t.any_untested_means = t.any_untested_means || c->means_untested;
    t.any_single_pair = t.any_single_pair || c->single_pair;
    t.any_common_only = t.any_common_only || c->subset;
    // No test over >= 2 paired seeds: the differences do not vary (a variant equal to its baseline)
    t.any_identical = t.any_identical || (!r.test && c->common >= 2);
    if (r.test) {
      t.any_zero_spread = t.any_zero_spread || r.test->se == 0;
      const Interval ci = confidence_interval(*r.test, kCiLevel);
      r.ci = Interval{ci.low * t.metric.scale(), ci.high * t.metric.scale()};
      r.too_few_seeds = r.test->n_a < kMinSeedsForP || r.test->n_b < kMinSeedsForP;
    }
  }
  // One family of comparisons per baseline: the variants with a p-value against it, and those equal
  // to it seed by seed as p = 1 (with grid/zip cells, each cell is its own ablation study; one
  // family over every cell of a large grid would adjust every p-value to 1).
  std::map<std::string, std::pair<std::vector<AblationRow*>, int>> families;  // cell -> tested rows, equal rows
  for (auto& r : t.rows) {
    if (r.test && !r.too_few_seeds) families[r.cell].first.push_back(&r);
    if (r.equal_to_baseline) ++families[r.cell].second;
  }
  for (auto& [cell, family] : families) {
    auto& [tested, equal] = family;
    if (tested.empty()) continue;  // nothing to adjust
    std::vector<double> raw;
    for (const AblationRow* r : tested) raw.push_back(r->test->p);
    raw.insert(raw.end(), equal, 1.0);
    const std::vector<double> adjusted = holm_adjust(raw);
    for (size_t i = 0; i < tested.size(); ++i) tested[i]->p_adjusted = adjusted[i];
    t.comparisons += static_cast<int>(raw.size());
    t.largest_family = std::max(t.largest_family, static_cast<int>(raw.size()));
  }
  t.families = static_cast<int>(
      std::count_if(families.begin(), families.end(), [](const auto& f) { return !f.second.first.empty(); }));
  for (const auto& r : t.rows) {
    t.any_too_few = t.any_too_few || r.too_few_seeds;
    if (r.test) (r.test->paired ? t.any_paired : t.any_welch) = true;
  }
  // Best per section and cell (ties all bold): accuracies of different cells (e.g. two datasets of
  // a grid) are not comparable. A section with one row in a cell has nothing to beat there, and a
  // best row that does not beat its baseline (Δ) is no finding to set in bold.
  for (size_t s = 0; s < t.section_starts.size(); ++s) {
    const size_t begin = t.section_starts[s],
                 end = s + 1 < t.section_starts.size() ? t.section_starts[s + 1] : t.rows.size();
    std::map<std::string, std::pair<int, std::optional<double>>> by_cell;  // cell -> rows, best mean
    for (size_t i = begin; i < end; ++i) {
      auto& [rows, best] = by_cell.try_emplace(t.rows[i].cell, 0, std::nullopt).first->second;
      ++rows;
      if (const auto& v = t.rows[i].value; v && (!best || t.metric.better(v->mean, *best))) best = v->mean;
    }
    for (size_t i = begin; i < end; ++i) {
      const auto& [rows, best] = by_cell.at(t.rows[i].cell);
      const AblationRow& r = t.rows[i];
      t.rows[i].best = rows > 1 && r.value && r.value->mean == best && r.delta && t.metric.better(*r.delta, 0.0);
      t.any_best = t.any_best || t.rows[i].best;
    }
  }
  // The reference is a published score (higher is better): a loss is ranked the other way round.
  std::vector<double> ours, theirs;
  for (const auto& r : t.rows)
    if (r.value && r.reference) {
      ours.push_back(t.metric.higher_is_better ? r.value->mean : -r.value->mean);
      theirs.push_back(*r.reference);
    }
  t.reference_n = static_cast<int>(ours.size());
  t.spearman = spearman(ours, theirs);
  return t;
}

TextTable ablation_text_table(const AblationTable& t, TableStyle style) {
  const bool tex = style == TableStyle::Latex, html = style == TableStyle::Html;
  const std::string pm = tex ? " $\\pm$ " : " ± ", dagger = tex ? "$^\\dagger$" : "†";
  auto bold = [&](const std::string& s) {
    if (tex) return "\\textbf{" + s + "}";
    if (html) return "<b>" + s + "</b>";
    return "**" + s + "**";
  };
  auto text = [&](const std::string& s) { return tex ? latex_escape(s) : html ? html_escape(s) : s; };
  // User text (section, variant) is escaped for markdown too; our own cells and headers are
  // written as markdown already ("**" bold, "[-1.2, +3.4]", "n<3").
  auto user = [&](const std::string& s) { return style == TableStyle::Markdown ? markdown_escape(s) : text(s); };
  bool any_reference = false;
  int reference_decimals = 0;  // one spelling for the whole column: 76.0 beside 77.2, not 76
  for (const auto& r : t.rows) {
    any_reference = any_reference || r.reference;
    for (int d = reference_decimals;
         r.reference && d < 2 &&
         std::abs(*r.reference * std::pow(10, d) - std::round(*r.reference * std::pow(10, d))) > 1e-9;)
      reference_decimals = ++d;
  }
  TextTable out;
  const std::string ci_header = std::to_string(static_cast<int>(std::lround(kCiLevel * 100))) + "% CI of " +
                                "Δ";  // render_latex escapes headers (Δ becomes $\Delta$)
  const std::string delta_header = "Δ (" + t.metric.delta_unit() + ")";
  // Params and MACs in the unit their largest value reads best in: a paper's model in M and G, a
  // test-sized one in K (3.63 K params, not 0.00363 M).
  double most_params = 0, most_macs = 0;
  for (const auto& r : t.rows) {
    most_params = std::max(most_params, mean_metric(r.group, "params").value_or(0));
    most_macs = std::max(most_macs, mean_metric(r.group, "macs").value_or(0));
  }
  const AxisUnit params_unit = count_unit(most_params, false), macs_unit = count_unit(most_macs, true);
  auto unit_header = [](const std::string& name, const AxisUnit& u) {
    return u.suffix.empty() ? name : name + " (" + u.suffix + ")";
  };
  out.header = {"section",
                "variant",
                t.metric.column(),
                delta_header,
                ci_header,
                t.largest_family > 1 ? "p vs baseline (Holm)" : "p vs baseline",
                unit_header("params", params_unit),
                unit_header("MACs", macs_unit),
                "samples/s",
                "status"};
  if (any_reference) {  // headers are escaped by render_latex and ablation_html, by us for markdown
    const std::string metric = t.reference_metric.empty() ? "reference" : t.reference_metric;
    out.header.push_back(style == TableStyle::Markdown ? markdown_escape(metric) : metric);
  }
  out.right = {false, false, true, true, true, true, true, true, true, false, true};
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const AblationRow& r = t.rows[i];
    std::string acc = "-";
    if (r.value) {
      acc = summary_text(*r.value, t.metric, pm);
      if (r.best) acc = bold(acc);
    } else if (r.group.has(JobStatus::Diverged)) {
      acc = "diverged";
    } else if (r.group.has(JobStatus::Failed)) {
      acc = "failed";
    }
    std::string delta = "-";
    if (r.delta) delta = signed_fixed(*r.delta, t.metric.decimals()) + (r.common_seeds_only ? dagger : "");
    const bool first_of_section = i == 0 || t.rows[i - 1].section != r.section;
    std::vector<std::string> row = {
        first_of_section ? user(r.section) : "",
        user(r.variant),
        acc,
        delta,
        text(r.ci ? interval_text(*r.ci, t.metric.decimals()) : "-"),
        tex && r.too_few_seeds ? "$n<" + std::to_string(kMinSeedsForP) + "$" + (r.unpaired ? " (W)" : "")
                               : text(p_value_text(r.test, r.too_few_seeds, r.p_adjusted, r.unpaired)),
        scaled(mean_metric(r.group, "params"), params_unit.scale),
        scaled(mean_metric(r.group, "macs"), macs_unit.scale),
        mean_metric(r.group, "samples_per_s") ? fixed(*mean_metric(r.group, "samples_per_s"), 0) : "-",
        text(r.group.status_text())};
    if (any_reference) row.push_back(r.reference ? fixed(*r.reference, reference_decimals) : "-");
    out.rows.push_back(std::move(row));
  }
  for (size_t s = 1; s < t.section_starts.size(); ++s) out.rules_before.push_back(t.section_starts[s]);
  return out;
}

namespace {

std::string test_note(const AblationTable& t, TableStyle style);

// Says when the table's numbers come from different training semantics (or from a release that
// did not record it): they would not be comparable to the last digit.
std::string versions_note(const AblationTable& t) {
  if (t.older_done == 0) return "";
  std::string note = " Versions: " + std::to_string(t.older_done) +
                     " done job(s) trained by an older metasweep whose training of their configs this one changed "
                     "(training semantics before " +
                     std::to_string(kTrainingSemantics) + " or not recorded)";
  note +=
      t.current_done > 0 ? ", " + std::to_string(t.current_done) + " as this one trains: the table mixes them." : ".";
  return note + " `metasweep run SWEEP.yaml --db FILE --retrain-older` trains the older ones again.";
}

// Says when some results are over fewer test images than the split holds.
std::string skipped_note(const AblationTable& t) {
  if (t.jobs_skipping_test == 0) return "";
  return " Corrupt images: " + std::to_string(t.jobs_skipping_test) + " done job(s) skipped " +
         std::to_string(t.skipped_test) +
         " test image(s) in all (task.on_corrupt: skip); their results are over the test images that decoded "
         "(`metasweep results --format json` gives skipped_test per job).";
}

// Says what measured the samples/s column, and when its rows were measured on different devices
// (a sweep spread over a mixed cluster, or resumed elsewhere): then they compare only within one.
std::string devices_note(const AblationTable& t) {
  // The names as the CUDA runtime and /proc/cpuinfo spell them ("Intel(R) Xeon(R) Gold 6248 CPU @
  // 2.50GHz", "NVIDIA A100-SXM4-80GB"), with any other character as '?': the note goes unescaped
  // into Markdown and escaped into LaTeX and HTML, and a database may have been edited by hand.
  auto name = [](const std::string& d) {
    std::string out;
    for (size_t i = 0; i < d.size(); ++i) {
      const auto c = static_cast<unsigned char>(d[i]);
      if (d.compare(i, 2, "×") == 0) {
        out += "×";
        ++i;
      } else {
        out += std::isalnum(c) != 0 || std::string(" ()+-.,@").find(static_cast<char>(c)) != std::string::npos
                   ? static_cast<char>(c)
                   : '?';
      }
    }
    return out;
  };
  // A job's device is one name, several joined by " + " (resumed elsewhere), with kUnrecordedDevice
  // for epochs an older metasweep trained, or "" when none was recorded.
  std::set<std::string> devices;
  int unrecorded = 0;
  for (const auto& [device, n] : t.devices_done) {
    if (device.empty()) unrecorded += n;
    for (const std::string& part : split(device, " + "))
      if (!part.empty() && part != kUnrecordedDevice) devices.insert(part);
  }
  if (devices.empty()) return "";
  const std::string older =
      unrecorded > 0 ? std::to_string(unrecorded) + " done job(s) an older metasweep trained did not record theirs"
                     : "";
  // One device, every job with a record wholly on it:
  if (devices.size() == 1 && t.devices_done.count(*devices.begin()) &&
      t.devices_done.size() == (unrecorded > 0 ? 2u : 1u))
    return " samples/s: training examples per second on " + name(*devices.begin()) +
           (unrecorded > 0 ? " (" + older + ")." : ".");
  std::vector<std::pair<int, std::string>> by_count;  // most jobs first
  for (const auto& [device, n] : t.devices_done)
    if (!device.empty()) by_count.emplace_back(-n, device);
  std::sort(by_count.begin(), by_count.end());
  std::string list;
  for (const auto& [minus_n, device] : by_count)
    list += (list.empty() ? "" : "; ") + std::to_string(-minus_n) + " on " + name(device);
  return " samples/s was measured on " +
         (devices.size() == 1 ? std::string("one device and devices not recorded")
                              : std::to_string(devices.size()) + " different devices") +
         " (done jobs: " + list + (unrecorded > 0 ? "; " + older : "") +
         "): compare it only within one (`metasweep results --group-by section,variant,device`).";
}

// Says exactly what the numbers are: which test, which correction, why a p-value is missing.
std::string footnote(const AblationTable& t, TableStyle style) {
  return test_note(t, style) + versions_note(t) + skipped_note(t) + devices_note(t);
}

std::string test_note(const AblationTable& t, TableStyle style) {
  const bool tex = style == TableStyle::Latex;
  const std::string delta = tex ? "$\\Delta$" : "Δ", pm = tex ? "$\\pm$" : "±";
  const std::string level = std::to_string(static_cast<int>(std::lround(kCiLevel * 100))) + (tex ? "\\%" : "%");
  std::string note = "Final " + t.metric.title + ": mean " + pm + " sample std over done seeds (n)" +
                     (t.metric.higher_is_better ? "" : ", lower is better") + ". " + delta + ": difference from the " +
                     (t.cells ? "baseline of the same grid/zip cell" : "baseline") +
                     (t.metric.percent ? " in points" : "") +
                     ", the mean over the seeds both have done (W rows: of the means over all done seeds)";
  std::string gaps;  // why some rows have no Δ or no test
  if (t.cells_without_baseline > 0)
    gaps += " " + std::to_string(t.cells_without_baseline) +
            (t.cells_without_baseline == 1 ? " row has" : " rows have") + " no " + delta +
            ": the exclusions removed the baseline of its grid/zip cell.";
  if (t.any_identical)
    gaps += std::string(" No CI or p where a variant's values equal its baseline's seed by seed (nothing varies to test") +
            (t.largest_family > 1 ? "; over 3 or more seeds the Holm correction counts it as p = 1" : "") + ").";
  if (t.any_best)
    gaps += std::string(" Bold: the best of a section's two or more variants") +
            (t.cells ? " within its grid/zip cell" : "") + ", where it beats the " +
            (t.cells ? "cell's baseline" : "baseline") + " (" + delta +
            (tex ? (t.metric.higher_is_better ? " $>$ 0" : " $<$ 0") : (t.metric.higher_is_better ? " > 0" : " < 0")) +
            ").";
  if (t.any_common_only)
    gaps += common_seeds_note(tex ? "$^\\dagger$" : "†", "the row and its baseline both have", delta, pm);
  if (!t.baseline_done)
    return note + "; the baseline has no done seed" + (t.baseline_live ? " yet" : " (its jobs failed or diverged)") +
           ", so no " + delta + " and no test." + gaps;
  if (!t.any_paired && !t.any_welch) {  // say why, and only what is true
    const std::string why = t.variants == 0 ? "; the table has no variant to compare, so no test."
                            : t.any_short   ? "; no variant has 2 done seeds on both sides, so no test."
                                            : "; no test.";
    return note + why + gaps + (t.any_untested_means ? kUntestedMeansNote : "") + spearman_note(t, style);
  }
  note += "; " + level + " CI of " + delta + " (not adjusted) and p from a two-sided ";
  if (t.any_paired && t.any_welch)
    note +=
        "Student's paired t-test by seed over the seeds both have done, Welch's unequal-variances t-test where "
        "they share fewer than 2 (W).";
  else if (t.any_paired)
    note += "Student's paired t-test by seed (over the seeds both sides have done).";
  else
    note += "Welch's unequal-variances t-test (W: the two sides share fewer than 2 done seeds, so no pairing).";
  if (t.largest_family > 1)
    note += t.families > 1
                ? " p-values Holm-adjusted (step-down) within each grid/zip cell, for the variants "
                  "compared with that cell's baseline (" +
                      std::to_string(t.comparisons) + " comparisons in " + std::to_string(t.families) + " cells)."
                : " p-values Holm-adjusted (step-down) for the " + std::to_string(t.comparisons) +
                      (t.cells ? " variants compared with their cell's baseline."
                               : " variants compared with the one baseline.");
  if (t.any_zero_spread)
    note +=
        " A zero-width CI: every seed moved by exactly the same amount, so the t statistic is infinite and its "
        "p a limit, not evidence (more seeds or a larger test set give a real spread).";
  note += gaps;
  if (t.any_too_few)
    note += std::string(tex ? " $n<" : " n<") + std::to_string(kMinSeedsForP) + (tex ? "$" : "") +
            ": no p-value with fewer than " + std::to_string(kMinSeedsForP) +
            " seeds compared (done on both sides, where paired; too few for a meaningful t-test); the CI shows "
            "the uncertainty" +
            (t.any_untested_means && t.any_single_pair
                 ? " (none where a side has a single done seed: an n<3 (W) row, or a " + delta +
                       " over the one seed both have done)"
             : t.any_untested_means ? std::string(" (none for an n<3 (W) row: one side has a single done seed)")
             : t.any_single_pair    ? " (none for a " + delta + " over the one seed both have done)"
                                    : std::string()) +
            ".";
  return note + spearman_note(t, style);
}

// A \label key: letters, digits and - only (LaTeX expands a label's text, so \_ or # break it).
// A name that is not already such a key keeps its ASCII letters and digits and gains 8 hex digits
// of its SHA-256, so two names that differ only in other characters ("注意", "Δ-run", "a_b" and
// "a.b") never share a label, and a name gets the same label in every report.
std::string label_key(const std::string& name) {
  std::string key;
  bool changed = false;
  for (unsigned char c : name) {
    const bool keep = (std::isalnum(c) && c < 0x80) || c == '-';
    key += keep ? static_cast<char>(c) : '-';
    changed = changed || !keep;
  }
  if (!changed && !key.empty()) return key;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(name.data()), name.size(), digest);
  char hex[9];
  std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", digest[0], digest[1], digest[2], digest[3]);
  // Runs of - from the characters dropped collapse to one: "注意" gives "-1a2b3c4d", not "------1a2b3c4d".
  std::string compact;
  for (char c : key)
    if (c != '-' || compact.empty() || compact.back() != '-') compact += c;
  return compact + (compact.empty() || compact.back() == '-' ? "" : "-") + hex;
}

}  // namespace

std::string ablation_latex(const AblationTable& t) {
  const TextTable table = ablation_text_table(t, TableStyle::Latex);
  std::ostringstream out;
  // The table is shrunk to the line width when it is wider (\resizebox measures it first as
  // \width); a narrow table keeps its natural size.
  out << latex_header_comment("metasweep report", "booktabs} and \\usepackage{graphicx")
      << "\\begin{table}[t]\n\\centering\n\\small\n"
         "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n"
      << render_latex(table, std::vector<bool>(table.header.size(), true)) << "}\n\\caption{Ablation study "
      << latex_escape(t.sweep)
      << ". "
      // The note escaped like every field ("95% CI" would comment out the rest of the caption).
      << latex_escape(footnote(t, TableStyle::Markdown)) << "}\n\\label{tab:" << label_key(t.sweep)
      << "}\n\\end{table}\n";
  return out.str();
}

std::string ablation_markdown(const AblationTable& t) {
  const TextTable table = ablation_text_table(t, TableStyle::Markdown);  // user text escaped, bold kept
  return render_markdown(table, std::vector<bool>(table.header.size(), true)) + "\n" +
         footnote(t, TableStyle::Markdown) + "\n";
}

std::string ablation_html(const AblationTable& t) {
  const TextTable table = ablation_text_table(t, TableStyle::Html);
  // Cell classes: num (right-aligned) or txt; the status column ("1 done, 1 failed, ...") and the
  // reference column's header (the metric's name, e.g. "ImageNet top-1 (%)") may wrap.
  std::vector<std::string> classes;
  for (size_t c = 0; c < table.header.size(); ++c)
    classes.push_back(std::string(table.right[c] ? "num" : "txt") + (table.header[c] == "status" ? " status" : "") +
                      (c > 0 && table.header[c - 1] == "status" ? " reference" : ""));
  std::ostringstream out;
  out << "<table class=\"ablation\">\n<thead><tr>";
  for (size_t c = 0; c < table.header.size(); ++c)
    out << "<th class=\"" << classes[c] << "\">" << html_escape(table.header[c]) << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const bool rule = std::find(table.rules_before.begin(), table.rules_before.end(), r) != table.rules_before.end();
    out << "<tr" << (rule ? " class=\"section\"" : "") << ">";
    for (size_t c = 0; c < table.rows[r].size(); ++c)
      out << "<td class=\"" << classes[c] << "\">" << table.rows[r][c] << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody>\n</table>\n<p class=\"note\">" << html_escape(footnote(t, TableStyle::Html)) << "</p>\n";
  return out.str();
}

std::string ablation_markdown(const std::string& db_path, const std::string& sweep, const std::string& metric) {
  ResultStore store(db_path, OpenMode::ReadOnly);
  return ablation_markdown(build_ablation(store, sweep, metric));
}

}  // namespace ms
