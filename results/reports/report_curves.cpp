// Learning-curve panels of the report (see report_curves.h).
#include "results/reports/report_curves.h"

#include <algorithm>
#include <cctype>

#include "results/reports/epochs.h"

namespace ms {

Band curve_band(const ResultStore& store, const AblationRow& row, const std::string& metric) {
  const std::vector<JobRow>& jobs = row.group.jobs;
  const auto points = group_epochs(jobs, select_epochs(store, jobs), {});
  const double scale = metric == "test_acc" || metric == "test_seq_acc" ? 100 : 1;  // fractions in %
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
  struct Panel {
    const char* metric;
    const char* name;
    const char* axis;
  };
  static const Panel kAll[] = {{"test_acc", "test accuracy", "test accuracy (%)"},
                               {"test_seq_acc", "test sequence accuracy", "test sequence accuracy (%)"},
                               {"train_loss", "train loss", "train loss"},
                               {"test_loss", "test loss", "test loss"}};
  std::vector<Panel> panels;  // sequence accuracy only in a report that ranks by it
  for (const Panel& p : kAll)
    if (std::string(p.metric) != "test_seq_acc" || table.metric.name == "test_seq_acc") panels.push_back(p);
  // One per grid/zip cell; of a section drawn in part, only the cells of the rows shown.
  std::vector<const AblationRow*> baselines = baselines_of(table, begin, end);
  if (shown)
    baselines.erase(std::remove_if(baselines.begin(), baselines.end(),
                                   [&](const AblationRow* b) {
                                     return std::none_of(shown->begin(), shown->end(), [&](size_t i) {
                                       const auto row = table.rows[i].baseline_row;
                                       return row && &table.rows[*row] == b;
                                     });
                                   }),
                    baselines.end());
  const std::string& section = table.rows.at(begin).section;
  std::vector<CurveFigure> figures;
  for (const Panel& panel : panels) {
    std::vector<Band> bands;
    for (const AblationRow* b : baselines) {
      bands.push_back(curve_band(store, *b, panel.metric));
      bands.back().reference = true;
    }
    if (shown)
      for (size_t i : *shown) bands.push_back(curve_band(store, table.rows[i], panel.metric));
    else
      for (size_t i = begin; i < end; ++i) bands.push_back(curve_band(store, table.rows[i], panel.metric));
    bands.erase(std::remove_if(bands.begin(), bands.end(), [](const Band& b) { return b.x.empty(); }), bands.end());
    if (bands.empty()) continue;
    figures.push_back({slug + "_" + std::string(panel.metric),
                       std::string(1, static_cast<char>(std::toupper(panel.name[0]))) + (panel.name + 1) +
                           " per epoch: " + section + " (mean over seeds, band: min–max" +
                           (baselines.empty()       ? ")"
                            : baselines.size() == 1 ? "; dashed: baseline)"
                                                    : "; dashed: each grid/zip cell's baseline)") +
                           shown_note,
                       plot_bands(section + ": " + panel.name, "epoch", panel.axis, bands)});
  }
  return figures;
}

}  // namespace ms
