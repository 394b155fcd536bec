// `metasweep report --db FILE --sweep NAME --out DIR [--metric NAME] [--watch SEC]`: writes report.md,
// report.html (plots inline) and table.tex, then prints the markdown ablation table. With
// --watch, rewrites them every SEC seconds while the sweep has pending or running jobs (the page
// reloads itself), then writes the final report. Read-only on the database.
#include <atomic>
#include <cmath>
#include <csignal>
#include <iostream>

#include "cli/options.h"
#include "results/reports/ablation.h"
#include "results/reports/report.h"
#include "results/reports/report_metric.h"
#include "results/reports/report_watch.h"
#include "results/store/store.h"
#include "sweeps/errors.h"

namespace ms::cli {

namespace {

const char* kReportUsage = R"(usage: metasweep report --db FILE --sweep NAME --out DIR [--metric NAME] [--watch SEC]

Writes DIR/report.md, DIR/report.html (self-contained, plots inline) and DIR/table.tex.
  --metric NAME  what the table and its plots rank by: test_acc (default), test_seq_acc (whole
                 sequences right: the Key-Value Transformer paper's metric), test_loss or
                 train_loss (lower is better)
  --watch SEC  keep the report current while the sweep runs: rewrite it every SEC seconds (the
               HTML page reloads itself, so leave it open in a browser) until no job is pending
               or running, or no run has been writing the database for two rounds (stopped or
               died), then write the final report; Ctrl-C writes the final report and stops)";

std::atomic<bool> g_stop_watch{false};
void on_stop(int) { g_stop_watch.store(true); }

}  // namespace

int cmd_report(const Args& args) {
  po::options_description options("report options");
  std::string db, sweep, out, metric = "test_acc";
  double watch = 0;
  options.add_options()("db", po::value(&db)->required(), "results database (SQLite)")(
      "sweep", po::value(&sweep)->required(), "the sweep to report on")("out", po::value(&out)->required(),
                                                                        "output directory (created when missing)")(
      "watch", po::value(&watch), "rewrite the report every SEC seconds while the sweep runs")(
      "metric", po::value(&metric), "rank by this metric (test_acc, test_seq_acc, test_loss, train_loss)");
  po::variables_map vm;
  if (!parse_options(args, kReportUsage, options, {}, vm)) return 0;
  check_choice("metric", metric, report_metric_names());
  if (vm.count("watch") && !(watch >= 1 && watch <= 86400))
    throw UsageError("--watch must be a number of seconds between 1 and 86400 (a day)");
  sweep = ResultStore(db, OpenMode::ReadOnly).sweep_named(sweep);  // as stored, in whichever Unicode encoding
  if (watch > 0) {
    std::signal(SIGINT, on_stop);
    std::signal(SIGTERM, on_stop);
    WatchOptions w;
    w.interval_s = watch;
    w.stop = [] { return g_stop_watch.load(); };
    w.metric = metric;
    watch_report(db, sweep, out, w);
    return 0;
  }
  ResultStore store(db, OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, sweep, out, 0, metric);
  std::cout << ablation_markdown(build_ablation(store, sweep, metric)) << "\n";
  if (!files.plot_note.empty()) std::cerr << "metasweep report: " << files.plot_note << "\n";
  std::cout << "wrote " << files.markdown << ", " << files.html << ", " << files.latex << " (" << files.plots.size()
            << " plots)\n";
  return 0;
}

}  // namespace ms::cli
