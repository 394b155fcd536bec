// Learning curves: the per-epoch metrics of the jobs a query selected (`metasweep results
// --epochs`), one row per job and epoch, or grouped (e.g. by section and variant) into one row per
// group and epoch with mean, sample std, n, min and max over the group's jobs that reached that
// epoch (every status: a diverged or running job's early epochs are part of the curve), in every
// output format of format.h.
#pragma once
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "results/reports/format.h"
#include "results/store/query.h"
#include "sweeps/metrics.h"

namespace ms {

struct EpochRow {
  size_t job = 0;  // index into the job rows it was selected from
  EpochMetrics m;
};

struct CurvePoint {
  std::vector<std::string> keys, values;  // group-by keys and this group's values
  int64_t epoch = 0;
  int jobs = 0;                            // jobs of the group with this epoch
  std::map<std::string, Summary> metrics;  // present when n > 0
};

// Epoch metrics, in this order: train_loss, test_loss, test_acc, test_seq_acc, lr, samples_per_s, wall_s.
const std::vector<std::string>& epoch_metrics();
std::optional<double> epoch_metric(const EpochMetrics& m, const std::string& name);  // none: n/a or not finite

std::vector<EpochRow> select_epochs(const ResultStore& store, const std::vector<JobRow>& jobs);
std::vector<CurvePoint> group_epochs(const std::vector<JobRow>& jobs, const std::vector<EpochRow>& rows,
                                     const std::vector<std::string>& keys);

// Per-epoch rows in a format, written row by row (never the whole output in memory).
// `metric` empty: the default columns; otherwise only that metric (table, markdown, latex).
void write_epochs(std::ostream& out, const std::vector<JobRow>& jobs, const std::vector<EpochRow>& rows,
                  OutputFormat format, const std::string& metric = "");
std::string format_epochs(const std::vector<JobRow>& jobs, const std::vector<EpochRow>& rows, OutputFormat format,
                          const std::string& metric = "");
std::string format_curves(const std::vector<CurvePoint>& points, OutputFormat format, const std::string& metric = "");

}  // namespace ms
