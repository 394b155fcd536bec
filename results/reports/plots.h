// Report plots drawn by gnuplot (a subprocess with `set terminal svg`; data passed through temp
// files). Each function returns the SVG text, ready to inline in HTML, or throws
// std::runtime_error with gnuplot's message. gnuplot_available() says whether gnuplot runs.
#pragma once
#include <string>
#include <vector>

#include "results/reports/text_table.h"  // AxisUnit

namespace ms {

struct Series {
  std::string title;
  std::vector<double> x, y, err;            // err: the ± std around y (dot plots)
  std::vector<std::string> labels;          // one per point (scatter) or per column (dot plot)
  std::vector<std::vector<double>> points;  // dot plots: every seed's value, per column
};

bool gnuplot_available();

std::string plot_lines(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                       const std::vector<Series>& series);
// Points numbered 1, 2, ... across all series, the key below naming each number (labels of
// points that nearly coincide are merged, "2,5"), so labels never pile on top of each other.
std::string plot_scatter(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                         const std::vector<Series>& series, bool log_x);
// A dot plot: per column every seed's value (hollow circles, spread a little sideways), the mean
// (a bar) with ± std (whiskers); the first column's mean, when `baseline_first`, as a dashed line
// across the panel. The y range fits the points: nothing is a bar from an arbitrary floor.
// min_span: the smallest y range shown (0.5 for accuracies in percent), so that a tiny spread
// is not blown up to fill the panel.
std::string plot_dots(const std::string& title, const std::string& ylabel, const Series& columns, bool baseline_first,
                      double min_span = 0.5);

// Learning curves: per band a mean line over a shaded low..high range (e.g. min..max over seeds);
// a `reference` band (the baseline) is drawn dashed in dark grey beneath the others.
struct Band {
  std::string title;
  std::vector<double> x, mean, low, high;
  bool reference = false;
};
std::string plot_bands(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                       const std::vector<Band>& bands);

}  // namespace ms
