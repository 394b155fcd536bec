// The metrics a report can rank by (see report_metric.h).
#include "results/reports/report_metric.h"

#include "sweeps/errors.h"

namespace ms {

namespace {

const std::vector<ReportMetric>& metrics() {
  static const std::vector<ReportMetric> all = {
      {"test_acc", "test accuracy", "test acc.", true, true},
      {"test_seq_acc", "test sequence accuracy", "test seq. acc.", true, true},
      {"test_loss", "test loss", "test loss", false, false},
      {"train_loss", "train loss", "train loss", false, false},
  };
  return all;
}

}  // namespace

const std::vector<std::string>& report_metric_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const ReportMetric& m : metrics()) out.push_back(m.name);
    return out;
  }();
  return names;
}

const ReportMetric& report_metric(const std::string& name) {
  for (const ReportMetric& m : metrics())
    if (m.name == name) return m;
  std::string accepted;
  for (const std::string& n : report_metric_names()) accepted += (accepted.empty() ? "" : ", ") + n;
  throw UsageError("--metric '" + name + "': expected one of " + accepted);
}

}  // namespace ms
