// Comparing two sweeps variant by variant (see compare.h).
#include "results/reports/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "results/reports/ablation.h"
#include "results/reports/text_table.h"
#include "sweeps/errors.h"
#include "sweeps/resolve.h"

namespace ms {

using nlohmann::json;

namespace {

std::vector<GroupRow> variants_of(const ResultStore& store, const std::string& sweep) {
  ResultQuery q;
  q.sweep = sweep;
  return group_jobs(select_jobs(store, q), {"section", "variant"});  // select_jobs: unknown sweep -> UsageError
}

// (takes the group: a side holds its jobs, one copy of a large sweep)
CompareSide side(GroupRow&& g, const ReportMetric& metric) {
  CompareSide s{std::move(g), std::nullopt};
  if (auto it = s.group.metrics.find(metric.name); it != s.group.metrics.end()) s.value = it->second;
  return s;
}

std::string value_cell(const std::optional<CompareSide>& s, const ReportMetric& m) {
  if (!s) return "absent";
  return s->value ? summary_text(*s->value, m) : s->group.status_text();
}

// The config two groups of jobs do not share, key by key; a key missing from a side's common
// config varies among its jobs (e.g. the grid key across the cells of a baseline section).
void add_differences(const GroupRow& group_a, const GroupRow& group_b, std::set<ConfigDifference>& out) {
  auto text = [](const json& flat, const std::string& key) {
    if (!flat.contains(key)) return std::string("(varies)");
    const json& v = flat.at(key);
    return v.is_string() ? v.get<std::string>() : v.dump();
  };
  const json a = flatten_config(group_a.common_config()), b = flatten_config(group_b.common_config());
  std::set<std::string> keys;
  for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
  for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
  for (const std::string& key : keys)
    if (!a.contains(key) || !b.contains(key) || a.at(key) != b.at(key)) out.insert({key, text(a, key), text(b, key)});
}

// Every baseline row both sweeps have (one per grid/zip cell) is compared with its namesake; when
// their labels match none (a grid's "baseline, task.dataset=sort" against a plain "baseline"), the
// two whole baseline sections are.
std::vector<ConfigDifference> baseline_differences(const std::vector<CompareRow>& rows) {
  std::set<ConfigDifference> out;
  GroupRow all_a, all_b;  // every baseline job of each side
  bool matched = false;
  for (const CompareRow& r : rows) {
    if (r.section != "baseline") continue;
    if (r.a) all_a.jobs.insert(all_a.jobs.end(), r.a->group.jobs.begin(), r.a->group.jobs.end());
    if (r.b) all_b.jobs.insert(all_b.jobs.end(), r.b->group.jobs.begin(), r.b->group.jobs.end());
    if (r.a && r.b) {
      matched = true;
      add_differences(r.a->group, r.b->group, out);
    }
  }
  if (!matched && !all_a.jobs.empty() && !all_b.jobs.empty()) add_differences(all_a, all_b, out);
  return {out.begin(), out.end()};
}

// CSV for pandas: one number per cell, the same columns for every metric (a_mean as stored, a
// fraction for an accuracy; delta and its CI in points for an accuracy, in the metric's own unit
// otherwise); a missing value is an empty cell, as in `results --format csv`.
TextTable comparison_csv(const Comparison& c) {
  TextTable t;
  t.header = {"section", "variant", "a_status", "a_mean",  "a_std", "a_n", "b_status", "b_mean",        "b_std",
              "b_n",     "delta",   "ci_low",   "ci_high", "test",  "p",   "p_holm",   "seeds_compared"};
  auto number = [](std::optional<double> v) { return v && std::isfinite(*v) ? shortest(*v) : std::string(); };
  auto side = [&](const std::optional<CompareSide>& s) -> std::vector<std::string> {
    if (!s) return {"absent", "", "", "0"};
    if (!s->value) return {s->group.status_text(), "", "", "0"};
    return {s->group.status_text(), number(s->value->mean), number(s->value->std), std::to_string(s->value->n)};
  };
  for (const CompareRow& r : c.rows) {
    std::vector<std::string> row = {r.section, r.variant};
    for (const auto& part : {side(r.a), side(r.b)}) row.insert(row.end(), part.begin(), part.end());
    row.push_back(number(r.delta));
    row.push_back(number(r.ci ? std::optional<double>(r.ci->low) : std::nullopt));
    row.push_back(number(r.ci ? std::optional<double>(r.ci->high) : std::nullopt));
    row.push_back(r.test ? (r.test->paired ? "paired" : "welch") : "");
    row.push_back(number(r.test && !r.too_few_seeds ? std::optional<double>(r.test->p) : std::nullopt));
    row.push_back(number(r.p_adjusted));
    row.push_back(r.delta && r.seeds_compared > 0 ? std::to_string(r.seeds_compared) : std::string());
    t.rows.push_back(std::move(row));
  }
  return t;
}

json side_json(const std::optional<CompareSide>& s) {
  if (!s) return nullptr;
  json o = {{"status", s->group.status_text()}, {"jobs", s->group.jobs.size()}};
  o["mean"] = s->value ? json(s->value->mean) : json(nullptr);
  o["std"] = s->value && std::isfinite(s->value->std) ? json(s->value->std) : json(nullptr);
  o["n"] = s->value ? s->value->n : 0;
  return o;
}

}  // namespace

Comparison compare_sweeps(const ResultStore& store_a, const std::string& sweep_a, const ResultStore& store_b,
                          const std::string& sweep_b, const std::string& metric) {
  Comparison c;
  c.metric = report_metric(metric);
  c.sweep_a = sweep_a;
  c.sweep_b = sweep_b;
  if (&store_a != &store_b && store_a.path() != store_b.path()) c.db_a = store_a.path(), c.db_b = store_b.path();
  auto groups_a = variants_of(store_a, sweep_a), groups_b = variants_of(store_b, sweep_b);
  check_metric_recorded(groups_a, sweep_a, c.metric);
  check_metric_recorded(groups_b, sweep_b, c.metric);
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (GroupRow& g : groups_a) {
    CompareRow r;
    r.section = g.values[0];
    r.variant = g.values[1];
    r.a = side(std::move(g), c.metric);
    index[{r.section, r.variant}] = c.rows.size();
    c.rows.push_back(std::move(r));
  }
  for (GroupRow& g : groups_b) {
    auto it = index.find({g.values[0], g.values[1]});
    if (it != index.end()) {
      c.rows[it->second].b = side(std::move(g), c.metric);
      continue;
    }
    CompareRow r;
    r.section = g.values[0];
    r.variant = g.values[1];
    r.b = side(std::move(g), c.metric);
    c.rows.push_back(std::move(r));
  }
  std::vector<double> raw;
  std::vector<CompareRow*> tested;
  int equal = 0;  // rows equal seed by seed over enough seeds: p = 1 in the Holm family
  for (CompareRow& r : c.rows) {
    if (!r.a || !r.b || !r.a->value || !r.b->value) continue;
    const std::optional<SeedComparison> seeds = compare_seeds(r.b->group, r.a->group, c.metric.name);
    if (!seeds) continue;
    r.delta = seeds->delta * c.metric.scale();
    r.test = seeds->test;
    r.seeds_compared = seeds->common;
    r.common_seeds_only = seeds->subset;
    c.any_common_only = c.any_common_only || seeds->subset;
    if (!r.test) {  // under 2 seeds compared, or two sides equal seed by seed
      c.any_no_spread = c.any_no_spread || seeds->common >= 2;
      r.too_few_seeds = seeds->means_untested || seeds->single_pair;  // the p column says why: n<3
      c.any_too_few = c.any_too_few || r.too_few_seeds;
      c.any_untested_means = c.any_untested_means || seeds->means_untested;
      equal += seeds->equal_without_test();
      continue;
    }
    const Interval ci = confidence_interval(*r.test, kCiLevel);
    r.ci = Interval{ci.low * c.metric.scale(), ci.high * c.metric.scale()};
    r.too_few_seeds = r.test->n_a < kMinSeedsForP || r.test->n_b < kMinSeedsForP;
    (r.test->paired ? c.any_paired : c.any_welch) = true;
    c.any_too_few = c.any_too_few || r.too_few_seeds;
    if (!r.too_few_seeds) {
      raw.push_back(r.test->p);
      tested.push_back(&r);
    }
  }
  if (!tested.empty()) raw.insert(raw.end(), equal, 1.0);  // (a family of only those adjusts nothing)
  const auto adjusted = holm_adjust(raw);
  for (size_t i = 0; i < tested.size(); ++i) tested[i]->p_adjusted = adjusted[i];
  c.comparisons = static_cast<int>(raw.size());
  c.baseline_differences = baseline_differences(c.rows);
  return c;
}

namespace {

std::string test_note(const Comparison& c, OutputFormat format) {
  // Markdown: the sweep names escaped. LaTeX (a comment line below the table): ASCII symbols.
  const bool tex = format == OutputFormat::Latex;
  const std::string delta = tex ? "Delta" : "Δ", pm = tex ? "+/-" : "±", minus = tex ? "-" : "−";
  auto name = [&](const std::string& s) { return format == OutputFormat::Markdown ? markdown_escape(s) : s; };
  auto in = [&](const std::string& db) { return db.empty() ? std::string() : " in " + name(db); };
  std::string note = "A = " + name(c.sweep_a) + in(c.db_a) + ", B = " + name(c.sweep_b) + in(c.db_b) + ". Final " +
                     c.metric.axis() + ": mean " + pm + " sample std over done seeds (n)" +
                     (c.metric.higher_is_better ? "" : ", lower is better") + "; " + delta + " = B " + minus + " A" +
                     (c.metric.percent ? " in points" : "");
  const bool any_matched = std::any_of(c.rows.begin(), c.rows.end(), [](const CompareRow& r) { return r.a && r.b; });
  if (!any_matched)
    return note +
           "; no variant is in both sweeps (variants match by section and label, and a grid or zip cell "
           "adds its values to every label), so nothing is compared.";
  if (!c.any_paired && !c.any_welch)
    return note +
           (c.any_no_spread ? "; no test: the two sides' results are equal seed by seed (the same sweep twice?)."
                            : "; no variant has 2 done seeds on both sides, so no test.") +
           (c.any_untested_means ? kUntestedMeansNote : "");
  note += "; 95% CI of " + delta + " (not adjusted) and p from a two-sided ";
  if (c.any_paired && c.any_welch)
    note +=
        "Student's paired t-test by seed over the seeds both sides have done, Welch's unequal-variances "
        "t-test where they share fewer than 2 (W).";
  else if (c.any_paired)
    note += "Student's paired t-test by seed (over the seeds both sides have done).";
  else
    note += "Welch's unequal-variances t-test (W: the two sides share fewer than 2 done seeds, so no pairing).";
  if (c.comparisons > 1)
    note += " p-values Holm-adjusted (step-down) for the " + std::to_string(c.comparisons) + " variants compared.";
  if (c.any_no_spread)
    note += std::string(" No CI or p where the two sides' results are equal seed by seed (nothing varies to test") +
            (c.comparisons > 1 ? "; over 3 or more seeds the Holm correction counts such a variant as p = 1" : "") +
            ").";
  if (c.any_too_few)
    note += " n<" + std::to_string(kMinSeedsForP) + ": no p-value with fewer than " + std::to_string(kMinSeedsForP) +
            " seeds compared (done on both sides, where paired)." + (c.any_untested_means ? kUntestedMeansNote : "");
  if (c.any_common_only) note += common_seeds_note(tex ? "(dagger)" : "†", "both sides have", delta, pm);
  return note;
}

// What Δ compares: the config the two baselines do not share (the edit between the sweeps, or a
// mistake such as another dataset), at most kShown of them.
std::string differences_note(const Comparison& c, OutputFormat format) {
  if (c.baseline_differences.empty()) return "";
  constexpr size_t kShown = 8;
  const bool tex = format == OutputFormat::Latex, md = format == OutputFormat::Markdown;
  std::string note = " The baselines' configs differ: ";
  for (size_t i = 0; i < c.baseline_differences.size() && i < kShown; ++i) {
    const std::string d = c.baseline_differences[i].text(tex ? " -> " : " → ");
    note += (i ? "; " : "") + (md ? markdown_escape(d) : d);
  }
  if (c.baseline_differences.size() > kShown)
    note += "; and " + std::to_string(c.baseline_differences.size() - kShown) + " more";
  return note + ".";
}

}  // namespace

std::string comparison_note(const Comparison& c, OutputFormat format) {
  return test_note(c, format) + differences_note(c, format);
}

std::string format_comparison(const Comparison& c, OutputFormat format) {
  if (format == OutputFormat::Json) {
    json rows = json::array();
    for (const CompareRow& r : c.rows) {
      json o = {{"section", r.section}, {"variant", r.variant}, {"a", side_json(r.a)}, {"b", side_json(r.b)}};
      o["delta"] = r.delta ? json(*r.delta) : json(nullptr);  // in delta_unit
      o["ci_low"] = r.ci ? json(r.ci->low) : json(nullptr);
      o["ci_high"] = r.ci ? json(r.ci->high) : json(nullptr);
      if (c.metric.percent) {  // the names of the first release, where Δ was always in points
        o["delta_pts"] = o["delta"];
        o["ci_low_pts"] = o["ci_low"];
        o["ci_high_pts"] = o["ci_high"];
      }
      o["test"] = r.test ? json(r.test->paired ? "paired" : "welch") : json(nullptr);
      o["p"] = r.test && !r.too_few_seeds ? json(r.test->p) : json(nullptr);
      o["p_holm"] = r.p_adjusted ? json(*r.p_adjusted) : json(nullptr);
      // the seeds Δ is over: those both sides have done (null: all done seeds, Welch)
      o["seeds_compared"] = r.delta && r.seeds_compared > 0 ? json(r.seeds_compared) : json(nullptr);
      o["common_seeds_only"] = r.common_seeds_only;  // † in the table: a side's other done seeds left out
      rows.push_back(std::move(o));
    }
    json differences = json::array();
    for (const ConfigDifference& d : c.baseline_differences)
      differences.push_back({{"key", d.key}, {"a", d.a}, {"b", d.b}});
    return json{{"a", c.sweep_a},
                {"b", c.sweep_b},
                {"metric", c.metric.name},
                {"delta_unit", c.metric.percent ? "points" : c.metric.name},
                {"baseline_differences", differences},
                {"rows", rows},
                {"note", comparison_note(c)}}
               .dump(2) +
           "\n";
  }
  if (format == OutputFormat::Csv) return render_csv(comparison_csv(c));
  TextTable t;
  const int d = c.metric.decimals();
  t.header = {"section",
              "variant",
              "A " + c.metric.column(),
              "B " + c.metric.column(),
              "Δ B−A (" + c.metric.delta_unit() + ")",
              "95% CI of Δ",
              c.comparisons > 1 ? "p (Holm)" : "p"};
  t.right = {false, false, true, true, true, true, true};
  const std::string dagger = format == OutputFormat::Latex ? "$^\\dagger$" : "†";
  for (const CompareRow& r : c.rows) {
    t.rows.push_back({r.section, r.variant, value_cell(r.a, c.metric), value_cell(r.b, c.metric),
                      r.delta ? signed_fixed(*r.delta, d) + (r.common_seeds_only ? dagger : "") : "-",
                      r.ci ? interval_text(*r.ci, d) : "-",
                      p_value_text(r.test, r.too_few_seeds, r.p_adjusted, r.seeds_compared == 0)});
  }
  // Markdown: the numbers and statuses are ours, so only the section and variant are escaped.
  const std::vector<bool> markdown_raw = {false, false, true, true, true, true, true};
  switch (format) {
    case OutputFormat::Markdown:
      return render_markdown(t, markdown_raw) + "\n" + comparison_note(c, format) + "\n";
    case OutputFormat::Latex:
      return latex_header_comment("metasweep compare", "booktabs") +
             render_latex(t, {false, false, false, false, true, false, false}) + "% " + comparison_note(c, format) +
             "\n";
    default:
      return render_plain(t) + comparison_note(c) + "\n";
  }
}

}  // namespace ms
