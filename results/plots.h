// Report plots drawn by gnuplot (a subprocess with `set terminal svg`; data passed through temp
// files). Each function returns the SVG text, ready to inline in HTML, or throws
// std::runtime_error with gnuplot's message. gnuplot_available() says whether gnuplot runs.
#pragma once
#include <string>
#include <vector>

namespace ms {

struct Series {
  std::string title;
  std::vector<double> x, y, err;  // err: optional error bars (bar charts)
  std::vector<std::string> labels;  // bar charts: one label per bar
};

bool gnuplot_available();

std::string plot_lines(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                       const std::vector<Series>& series);
std::string plot_scatter(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                         const std::vector<Series>& series, bool log_x);
std::string plot_bars(const std::string& title, const std::string& ylabel, const Series& bars);

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
