// The metric an ablation table, a comparison and a report rank variants by (`--metric`, default
// test_acc): how it is named in headers and axes, whether it is a fraction shown in percent (and
// its differences in points) and which direction is better.
#pragma once
#include <string>
#include <vector>

namespace ms {

struct ReportMetric {
  std::string name;     // the database column: test_acc, test_seq_acc, test_loss, train_loss
  std::string title;    // "test accuracy"
  std::string short_;   // "test acc." (table headers)
  bool percent = true;  // a fraction in [0, 1], shown ×100; Δ in points
  bool higher_is_better = true;

  double scale() const { return percent ? 100 : 1; }
  std::string axis() const { return title + (percent ? " (%)" : ""); }     // "test accuracy (%)"
  std::string column() const { return short_ + (percent ? " (%)" : ""); }  // "test acc. (%)"
  std::string delta_unit() const { return percent ? "pts" : short_; }      // what Δ is measured in
  int decimals() const { return percent ? 2 : 4; }                         // of a scaled value
  bool better(double a, double b) const { return higher_is_better ? a > b : a < b; }
};

const std::vector<std::string>& report_metric_names();
// Throws ms::UsageError naming the accepted values for an unknown name.
const ReportMetric& report_metric(const std::string& name);

}  // namespace ms
