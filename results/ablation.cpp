// Building and rendering the ablation table (see ablation.h).
#include "ablation.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "config_schema.h"
#include "errors.h"

namespace ms {

namespace {

std::string scaled(std::optional<double> v, double unit) {
  if (!v) return "-";
  const double x = *v / unit;
  char buffer[32];
  if (x >= 100) std::snprintf(buffer, sizeof(buffer), "%.0f", x);
  else if (x >= 10) std::snprintf(buffer, sizeof(buffer), "%.1f", x);
  else if (x >= 0.01) std::snprintf(buffer, sizeof(buffer), "%.2f", x);
  else std::snprintf(buffer, sizeof(buffer), "%.2g", x);
  return buffer;
}

std::optional<double> mean_metric(const GroupRow& g, const std::string& m) {
  auto it = g.metrics.find(m);
  if (it == g.metrics.end()) return std::nullopt;
  return it->second.mean;
}

// Accuracies by seed of the done jobs of a group.
std::map<int64_t, double> by_seed(const GroupRow& g) {
  std::map<int64_t, double> out;
  for (const JobRow& j : g.jobs)
    if (j.status == "done" && j.test_acc) out[j.seed] = *j.test_acc;
  return out;
}

std::optional<TTest> compare(const GroupRow& variant, const GroupRow& baseline) {
  const auto a = by_seed(variant), b = by_seed(baseline);
  std::vector<double> va, vb;
  bool same_seeds = a.size() == b.size();
  for (const auto& [seed, acc] : a) {
    va.push_back(acc);
    same_seeds = same_seeds && b.count(seed);
  }
  for (const auto& [seed, acc] : b) vb.push_back(acc);
  if (same_seeds) return paired_t_test(va, vb);  // both maps sorted by seed: pairs line up
  return welch_t_test(va, vb);
}

std::string p_text(const std::optional<TTest>& t) {
  if (!t) return "-";
  char buffer[32];
  if (t->p < 0.001) std::snprintf(buffer, sizeof(buffer), "<0.001");
  else std::snprintf(buffer, sizeof(buffer), "%.3f", t->p);
  return std::string(buffer) + (t->paired ? "" : " (W)");
}

}  // namespace

AblationTable build_ablation(const ResultStore& store, const std::string& sweep) {
  AblationTable t;
  t.sweep = sweep;
  const auto info = store.sweep_info(sweep);
  if (!info) {
    const auto names = store.sweeps();
    throw UsageError("no sweep '" + sweep + "' in " + store.path() + " (sweeps: " +
                     (names.empty() ? std::string("none") : join(names, ", ")) + ")");
  }
  t.description = info->description;
  t.reference_metric = info->reference_metric;
  ResultQuery q;
  q.sweep = sweep;
  const auto groups = group_jobs(select_jobs(store, q), {"section", "variant"});
  const GroupRow* baseline = nullptr;
  for (const auto& g : groups)
    if (g.values[0] == "baseline") baseline = &g;
  std::optional<double> base_mean = baseline ? mean_metric(*baseline, "test_acc") : std::nullopt;
  for (const auto& g : groups) {
    AblationRow r;
    r.group = g;
    r.section = g.values[0];
    r.variant = g.values[1];
    if (auto it = g.metrics.find("test_acc"); it != g.metrics.end()) r.acc = it->second;
    if (r.acc && base_mean && &g != baseline) {
      r.delta_pts = (r.acc->mean - *base_mean) * 100;
      r.test = compare(g, *baseline);
    }
    r.reference = g.jobs.front().reference;
    if (t.rows.empty() || t.rows.back().section != r.section) t.section_starts.push_back(t.rows.size());
    t.rows.push_back(std::move(r));
  }
  // Best per section (ties all bold); a one-row section has nothing to beat.
  for (size_t s = 0; s < t.section_starts.size(); ++s) {
    const size_t begin = t.section_starts[s], end = s + 1 < t.section_starts.size() ? t.section_starts[s + 1] : t.rows.size();
    if (end - begin < 2) continue;
    double best = -1;
    for (size_t i = begin; i < end; ++i)
      if (t.rows[i].acc) best = std::max(best, t.rows[i].acc->mean);
    for (size_t i = begin; i < end; ++i) t.rows[i].best = t.rows[i].acc && t.rows[i].acc->mean == best;
  }
  std::vector<double> ours, theirs;
  for (const auto& r : t.rows)
    if (r.acc && r.reference) {
      ours.push_back(r.acc->mean);
      theirs.push_back(*r.reference);
    }
  t.reference_n = static_cast<int>(ours.size());
  t.spearman = spearman(ours, theirs);
  return t;
}

TextTable ablation_text_table(const AblationTable& t, TableStyle style) {
  const bool tex = style == TableStyle::Latex, html = style == TableStyle::Html;
  const std::string pm = tex ? " $\\pm$ " : " ± ";
  auto bold = [&](const std::string& s) {
    if (tex) return "\\textbf{" + s + "}";
    if (html) return "<b>" + s + "</b>";
    return "**" + s + "**";
  };
  auto text = [&](const std::string& s) { return tex ? latex_escape(s) : html ? html_escape(s) : s; };
  bool any_reference = false;
  int reference_decimals = 0;  // one spelling for the whole column: 76.0 beside 77.2, not 76
  for (const auto& r : t.rows) {
    any_reference = any_reference || r.reference;
    for (int d = reference_decimals; r.reference && d < 2 && std::abs(*r.reference * std::pow(10, d) -
                                                                      std::round(*r.reference * std::pow(10, d))) > 1e-9;)
      reference_decimals = ++d;
  }
  TextTable out;
  out.header = {"section", "variant", "test acc. (%)", "Δ (pts)", "p vs baseline",
                "params (M)", "MACs (G)", "samples/s", "status"};
  if (any_reference) out.header.push_back(t.reference_metric.empty() ? "reference" : t.reference_metric);
  out.right = {false, false, true, true, true, true, true, true, false, true};
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const AblationRow& r = t.rows[i];
    std::string acc = "-";
    if (r.acc) {
      char buffer[64];
      std::snprintf(buffer, sizeof(buffer), "%.2f", r.acc->mean * 100);
      acc = buffer;
      if (r.acc->n >= 2) {
        std::snprintf(buffer, sizeof(buffer), "%.2f", r.acc->std * 100);
        acc += pm + buffer;
      }
      acc += " (" + std::to_string(r.acc->n) + ")";
      if (r.best) acc = bold(acc);
    } else if (r.group.has("diverged")) {
      acc = "diverged";
    } else if (r.group.has("failed")) {
      acc = "failed";
    }
    std::string delta = "-";
    if (r.delta_pts) {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%+.2f", *r.delta_pts);
      delta = buffer;
    }
    const bool first_of_section = i == 0 || t.rows[i - 1].section != r.section;
    std::vector<std::string> row = {first_of_section ? text(r.section) : "", text(r.variant), acc, delta,
                                    text(p_text(r.test)),
                                    scaled(mean_metric(r.group, "params"), 1e6), scaled(mean_metric(r.group, "macs"), 1e9),
                                    mean_metric(r.group, "samples_per_s") ? fixed(*mean_metric(r.group, "samples_per_s"), 0) : "-",
                                    text(r.group.status_text())};
    if (any_reference) row.push_back(r.reference ? fixed(*r.reference, reference_decimals) : "-");
    out.rows.push_back(std::move(row));
  }
  for (size_t s = 1; s < t.section_starts.size(); ++s) out.rules_before.push_back(t.section_starts[s]);
  return out;
}

namespace {

std::string footnote(const AblationTable& t, TableStyle style) {
  std::string note = "Mean over done seeds (n); p: two-sided t-test vs the baseline, paired by seed, (W) = Welch.";
  if (t.spearman) {
    char buffer[160];
    std::snprintf(buffer, sizeof(buffer), " Spearman rank correlation with the reference: %s = %.2f over %d variants.",
                  style == TableStyle::Latex ? "$\\rho$" : "ρ", *t.spearman, t.reference_n);
    note += buffer;
  }
  return note;
}

// A \label key: letters, digits and - only (LaTeX expands a label's text, so \_ or # break it).
std::string label_key(const std::string& name) {
  std::string key;
  for (unsigned char c : name) key += std::isalnum(c) && c < 0x80 ? static_cast<char>(c) : '-';
  return key;
}

}  // namespace

std::string ablation_latex(const AblationTable& t) {
  const TextTable table = ablation_text_table(t, TableStyle::Latex);
  std::ostringstream out;
  // The table is shrunk to the line width when it is wider (\resizebox measures it first as
  // \width); a narrow table keeps its natural size.
  out << "% Generated by metasweep report; needs \\usepackage{booktabs} and \\usepackage{graphicx}.\n"
         "\\begin{table}[t]\n\\centering\n\\small\n"
         "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n"
      << render_latex(table, std::vector<bool>(table.header.size(), true)) << "}\n\\caption{Ablation study "
      << latex_escape(t.sweep) << ". " << footnote(t, TableStyle::Latex) << "}\n\\label{tab:" << label_key(t.sweep)
      << "}\n\\end{table}\n";
  return out.str();
}

std::string ablation_markdown(const AblationTable& t) {
  return render_markdown(ablation_text_table(t, TableStyle::Markdown)) + "\n" + footnote(t, TableStyle::Markdown) + "\n";
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

std::string ablation_markdown(const std::string& db_path, const std::string& sweep) {
  ResultStore store(db_path, OpenMode::ReadOnly);
  return ablation_markdown(build_ablation(store, sweep));
}

}  // namespace ms
