// The learning-curve figures of the report: for each section of the ablation table, three panels
// (test accuracy, train loss, test loss per epoch; a fourth, test sequence accuracy, when the
// report ranks by it), one band per variant (the mean over its seeds
// with a min-max band, over every seed that reached the epoch) and the baseline drawn dashed in
// every panel of every section, so each variant is read against it.
#pragma once
#include <string>
#include <vector>

#include "results/reports/ablation.h"
#include "results/reports/plots.h"
#include "results/store/store.h"

namespace ms {

struct CurveFigure {
  std::string name, caption, svg;
};

// The bands of one ablation row for one epoch metric (accuracies in %), from the store's epochs.
Band curve_band(const ResultStore& store, const AblationRow& row, const std::string& metric);

// Figures for the rows [begin, end) of one section, or for the rows `shown` of them when given
// (a section too large to draw whole; `shown_note` then ends each caption); slug prefixes the
// figure names.
std::vector<CurveFigure> curve_figures(const ResultStore& store, const AblationTable& table, size_t begin, size_t end,
                                       const std::string& slug, const std::vector<size_t>* shown = nullptr,
                                       const std::string& shown_note = "");

}  // namespace ms
