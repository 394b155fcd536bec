// `metasweep report`: writes DIR/report.md, DIR/report.html (one self-contained file with the
// plots inline as SVG; opens offline) and DIR/table.tex for one sweep, plus DIR/plots/*.svg for
// the markdown. Plots need gnuplot; without it the report says so and has no plots.
#pragma once
#include <string>
#include <vector>

#include "results/store/store.h"

namespace ms {

struct ReportFiles {
  std::string markdown, html, latex;
  std::vector<std::string> plots;
  std::string plot_note;  // non-empty when plots were skipped (no gnuplot) or failed
};

// refresh_s > 0: report.html reloads itself every refresh_s seconds (report --watch while the
// sweep runs). Every file is replaced atomically, so a browser never reads half a page. The table
// and the plots of final values rank by `metric` (report_metric.h).
ReportFiles write_report(const ResultStore& store, const std::string& sweep, const std::string& out_dir,
                         int refresh_s = 0, const std::string& metric = "test_acc");

}  // namespace ms
