// Comparing two sweeps variant by variant (see compare.h).
#include "results/reports/compare.h"

#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "results/reports/ablation.h"
#include "results/reports/text_table.h"
#include "sweeps/errors.h"

namespace ms {

using nlohmann::json;

namespace {

std::vector<GroupRow> variants_of(const ResultStore& store, const std::string& sweep) {
  ResultQuery q;
  q.sweep = sweep;
  return group_jobs(select_jobs(store, q), {"section", "variant"});  // select_jobs: unknown sweep -> UsageError
}

CompareSide side(const GroupRow& g) {
  CompareSide s{g, std::nullopt};
  if (auto it = g.metrics.find("test_acc"); it != g.metrics.end()) s.acc = it->second;
  return s;
}

std::string acc_cell(const std::optional<CompareSide>& s) {
  if (!s) return "absent";
  if (!s->acc) return s->group.status_text();
  char buffer[80];
  if (s->acc->n >= 2)
    std::snprintf(buffer, sizeof buffer, "%.2f ± %.2f (%d)", s->acc->mean * 100, s->acc->std * 100, s->acc->n);
  else
    std::snprintf(buffer, sizeof buffer, "%.2f (1)", s->acc->mean * 100);
  return buffer;
}

std::string p_cell(const CompareRow& r) {
  if (!r.test) return "-";
  if (r.too_few_seeds) return "n<" + std::to_string(kMinSeedsForP) + (r.test->paired ? "" : " (W)");
  if (!r.p_adjusted) return "-";
  char buffer[32];
  if (*r.p_adjusted < 0.001)
    std::snprintf(buffer, sizeof buffer, "<0.001");
  else
    std::snprintf(buffer, sizeof buffer, "%.3f", *r.p_adjusted);
  return std::string(buffer) + (r.test->paired ? "" : " (W)");
}

json side_json(const std::optional<CompareSide>& s) {
  if (!s) return nullptr;
  json o = {{"status", s->group.status_text()}, {"jobs", s->group.jobs.size()}};
  o["mean"] = s->acc ? json(s->acc->mean) : json(nullptr);
  o["std"] = s->acc && std::isfinite(s->acc->std) ? json(s->acc->std) : json(nullptr);
  o["n"] = s->acc ? s->acc->n : 0;
  return o;
}

}  // namespace

Comparison compare_sweeps(const ResultStore& store_a, const std::string& sweep_a, const ResultStore& store_b,
                          const std::string& sweep_b) {
  Comparison c;
  c.sweep_a = sweep_a;
  c.sweep_b = sweep_b;
  const auto groups_a = variants_of(store_a, sweep_a), groups_b = variants_of(store_b, sweep_b);
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (const GroupRow& g : groups_a) {
    CompareRow r;
    r.section = g.values[0];
    r.variant = g.values[1];
    r.a = side(g);
    index[{r.section, r.variant}] = c.rows.size();
    c.rows.push_back(std::move(r));
  }
  for (const GroupRow& g : groups_b) {
    auto it = index.find({g.values[0], g.values[1]});
    if (it != index.end()) {
      c.rows[it->second].b = side(g);
      continue;
    }
    CompareRow r;
    r.section = g.values[0];
    r.variant = g.values[1];
    r.b = side(g);
    c.rows.push_back(std::move(r));
  }
  std::vector<double> raw;
  std::vector<CompareRow*> tested;
  for (CompareRow& r : c.rows) {
    if (!r.a || !r.b || !r.a->acc || !r.b->acc) continue;
    r.delta_pts = (r.b->acc->mean - r.a->acc->mean) * 100;
    r.test = seed_test(r.b->group, r.a->group);
    if (!r.test) {  // under 2 done seeds a side, or seed differences without any spread
      c.any_no_spread =
          c.any_no_spread || (done_acc_by_seed(r.a->group).size() >= 2 && done_acc_by_seed(r.b->group).size() >= 2);
      continue;
    }
    const Interval ci = confidence_interval(*r.test, kCiLevel);
    r.ci_pts = Interval{ci.low * 100, ci.high * 100};
    r.too_few_seeds = r.test->n_a < kMinSeedsForP || r.test->n_b < kMinSeedsForP;
    (r.test->paired ? c.any_paired : c.any_welch) = true;
    c.any_too_few = c.any_too_few || r.too_few_seeds;
    if (!r.too_few_seeds) {
      raw.push_back(r.test->p);
      tested.push_back(&r);
    }
  }
  const auto adjusted = holm_adjust(raw);
  for (size_t i = 0; i < tested.size(); ++i) tested[i]->p_adjusted = adjusted[i];
  c.comparisons = static_cast<int>(tested.size());
  return c;
}

std::string comparison_note(const Comparison& c, OutputFormat format) {
  // Markdown: the sweep names escaped. LaTeX (a comment line below the table): ASCII symbols.
  const bool tex = format == OutputFormat::Latex;
  const std::string delta = tex ? "Delta" : "Δ", pm = tex ? "+/-" : "±", minus = tex ? "-" : "−";
  auto name = [&](const std::string& s) { return format == OutputFormat::Markdown ? markdown_escape(s) : s; };
  std::string note = "A = " + name(c.sweep_a) + ", B = " + name(c.sweep_b) + ". Test accuracy (%): mean " + pm +
                     " sample std over done seeds (n); " + delta + " = B " + minus + " A in points";
  if (!c.any_paired && !c.any_welch)
    return note + (c.any_no_spread ? "; no test: the seed results on the two sides differ by the same amount for "
                                     "every seed (zero spread: the same sweep twice?)."
                                   : "; no variant has 2 done seeds on both sides, so no test.");
  note += "; 95% CI of " + delta + " (not adjusted) and p from a two-sided ";
  if (c.any_paired && c.any_welch)
    note +=
        "Student's paired t-test by seed where both sides have the same done seeds, Welch's unequal-variances "
        "t-test otherwise (W).";
  else if (c.any_paired)
    note += "Student's paired t-test by seed (both sides have the same done seeds).";
  else
    note += "Welch's unequal-variances t-test (W: the done seeds differ, so no pairing).";
  if (c.comparisons > 1)
    note += " p-values Holm-adjusted (step-down) for the " + std::to_string(c.comparisons) + " variants compared.";
  if (c.any_too_few)
    note += " n<" + std::to_string(kMinSeedsForP) + ": no p-value with fewer than " + std::to_string(kMinSeedsForP) +
            " done seeds on a side.";
  return note;
}

std::string format_comparison(const Comparison& c, OutputFormat format) {
  if (format == OutputFormat::Json) {
    json rows = json::array();
    for (const CompareRow& r : c.rows) {
      json o = {{"section", r.section}, {"variant", r.variant}, {"a", side_json(r.a)}, {"b", side_json(r.b)}};
      o["delta_pts"] = r.delta_pts ? json(*r.delta_pts) : json(nullptr);
      o["ci_low_pts"] = r.ci_pts ? json(r.ci_pts->low) : json(nullptr);
      o["ci_high_pts"] = r.ci_pts ? json(r.ci_pts->high) : json(nullptr);
      o["test"] = r.test ? json(r.test->paired ? "paired" : "welch") : json(nullptr);
      o["p"] = r.test && !r.too_few_seeds ? json(r.test->p) : json(nullptr);
      o["p_holm"] = r.p_adjusted ? json(*r.p_adjusted) : json(nullptr);
      rows.push_back(std::move(o));
    }
    return json{{"a", c.sweep_a}, {"b", c.sweep_b}, {"rows", rows}, {"note", comparison_note(c)}}.dump(2) + "\n";
  }
  TextTable t;
  t.header = {"section",
              "variant",
              "A test acc. (%)",
              "B test acc. (%)",
              "Δ B−A (pts)",
              "95% CI of Δ",
              c.comparisons > 1 ? "p (Holm)" : "p"};
  t.right = {false, false, true, true, true, true, true};
  for (const CompareRow& r : c.rows) {
    char delta[32] = "-", ci[64] = "-";
    if (r.delta_pts) std::snprintf(delta, sizeof delta, "%+.2f", *r.delta_pts);
    if (r.ci_pts) std::snprintf(ci, sizeof ci, "[%+.2f, %+.2f]", r.ci_pts->low, r.ci_pts->high);
    t.rows.push_back({r.section, r.variant, acc_cell(r.a), acc_cell(r.b), delta, ci, p_cell(r)});
  }
  // Markdown: the numbers and statuses are ours, so only the section and variant are escaped.
  const std::vector<bool> markdown_raw = {false, false, true, true, true, true, true};
  switch (format) {
    case OutputFormat::Csv:  // a missing value is an empty cell there, as in `results --format csv`
      for (auto& row : t.rows)
        for (size_t col = 2; col < row.size(); ++col)
          if (row[col] == "-") row[col].clear();
      return render_csv(t);
    case OutputFormat::Markdown:
      return render_markdown(t, markdown_raw) + "\n" + comparison_note(c, format) + "\n";
    case OutputFormat::Latex:
      return latex_header_comment("metasweep compare", "booktabs") + render_latex(t) + "% " +
             comparison_note(c, format) + "\n";
    default:
      return render_plain(t) + comparison_note(c) + "\n";
  }
}

}  // namespace ms
