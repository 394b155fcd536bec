// Learning-curve panels of the report (see report_curves.h).
#include "results/reports/report_curves.h"

#include <algorithm>
#include <cctype>

#include "results/reports/epochs.h"

namespace ms {

Band curve_band(const ResultStore& store, const AblationRow& row, const std::string& metric) {
  const std::vector<JobRow>& jobs = row.group.jobs;
  const auto points = group_epochs(jobs, select_epochs(store, jobs), {});
  const double scale = report_metric(metric).scale();  // accuracies in %
  Band b;
  b.title = row.variant;
  for (const CurvePoint& p : points) {
    auto it = p.metrics.find(metric);
    if (it == p.metrics.end()) continue;
    b.x.push_back(static_cast<double>(p.epoch));
    b.mean.push_back(it->second.mean * scale);
    b.low.push_back(it->second.min * scale);
    b.high.push_back(it->second.max * scale);
  }
  return b;
}

std::vector<CurveFigure> curve_figures(const ResultStore& store, const AblationTable& table, size_t begin, size_t end,
                                       const std::string& slug, const std::vector<size_t>* shown,
                                       const std::string& shown_note) {
  std::vector<ReportMetric> panels;  // sequence accuracy only in a report that ranks by it
  for (const char* name : {"test_acc", "test_seq_acc", "train_loss", "test_loss"})
    if (std::string(name) != "test_seq_acc" || table.metric.name == name) panels.push_back(report_metric(name));
  // One per grid/zip cell; of a section drawn in part, only the cells of the rows shown.
  const std::vector<const AblationRow*> baselines =
      shown ? baselines_of(table, *shown) : baselines_of(table, begin, end);
  const std::string& section = table.rows.at(begin).section;
  std::vector<CurveFigure> figures;
  for (const ReportMetric& panel : panels) {
    std::vector<Band> bands;
    for (const AblationRow* b : baselines) {
      bands.push_back(curve_band(store, *b, panel.name));
      bands.back().reference = true;
    }
    if (shown)
      for (size_t i : *shown) bands.push_back(curve_band(store, table.rows[i], panel.name));
    else
      for (size_t i = begin; i < end; ++i) bands.push_back(curve_band(store, table.rows[i], panel.name));
    bands.erase(std::remove_if(bands.begin(), bands.end(), [](const Band& b) { return b.x.empty(); }), bands.end());
    if (bands.empty()) continue;
    figures.push_back({slug + "_" + panel.name,
                       std::string(1, static_cast<char>(std::toupper(panel.title[0]))) + panel.title.substr(1) +
                           " per epoch: " + section + " (mean over seeds, band: min–max" +
                           (baselines.empty()       ? ")"
                            : baselines.size() == 1 ? "; dashed: baseline)"
                                                    : "; dashed: each grid/zip cell's baseline)") +
                           shown_note,
                       plot_bands(section + ": " + panel.title, "epoch", panel.axis(), bands)});
  }
  return figures;
}

}  // namespace ms
