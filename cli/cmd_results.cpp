// `metasweep results --db FILE [--sweep NAME] [--where EXPR]... [--group-by KEYS] [--metric NAME]
// [--epochs] [--format table|csv|json|markdown|latex]`: one row per job, or per group with --group-by
// (a bare --group-by means section,variant: seeds aggregated); --epochs: one row per epoch of each
// job, or per group and epoch (learning curves). Read-only.
#include <iostream>

#include "cli/options.h"
#include "results/reports/epochs.h"
#include "results/reports/format.h"
#include "results/store/query.h"
#include "results/store/store.h"
#include "results/store/where.h"
#include "sweeps/config_schema.h"
#include "sweeps/errors.h"

namespace ms::cli {

namespace {

const char* kResultsUsage = R"(usage: metasweep results --db FILE [--sweep NAME] [--where EXPR]... [--group-by KEYS]
                         [--metric NAME] [--epochs] [--removed]
                         [--format table|csv|json|markdown|latex]

  --where KEY=VALUE | KEY!=VALUE | KEY<V | KEY>V | KEY<=V | KEY>=V  (several are ANDed)
      KEY: a dotted config key (model.norm, task.optimizer.lr, model.mixers, ...), section,
      variant, sweep, status, id, seed, device (what trained it: "1× NVIDIA H200"), or a
      metric (test_acc, test_loss, train_loss, test_seq_acc, params, macs, wall_s,
      samples_per_s, epochs_done, epochs_total, attempts, failures).
      Per-stage keys match a list ([pool,pool,attention,attention]) or, given one value,
      configs whose stages all equal it (model.mixers=pool). A VALUE in double quotes is
      matched exactly, "" for a quote in it: needed when it starts with = ! < >, is itself
      in quotes, or has spaces at its ends (--where 'variant="=x"',
      --where 'section="<5 epochs"').
  --group-by KEYS  comma-separated keys; alone, section,variant (mean/std/n/min/max over seeds,
      computed over done jobs, but params and macs, which the config fixes, over every job;
      the status column says when seeds diverged or failed)
  --epochs  learning curves: one row per epoch of every selected job (train_loss, test_loss,
      test_acc, test_seq_acc, lr, samples_per_s, wall_s); with --group-by, one row per group and
      epoch with mean/std/n/min/max over the group's jobs that reached that epoch (any status)
  --removed  the jobs that edits of the sweep file removed from the sweep instead: they keep
      their results in the database but leave the sweep's tables (`status` counts them))";

}  // namespace

int cmd_results(const Args& args) {
  po::options_description options("results options");
  std::string db, sweep, group_by, metric, format = "table";
  std::vector<std::string> where;
  options.add_options()("db", po::value(&db)->required(), "results database (SQLite)")(
      "sweep", po::value(&sweep), "only this sweep")("where", po::value(&where)->composing(),
                                                     "filter KEY<op>VALUE (repeatable, ANDed)")(
      "group-by", po::value(&group_by)->implicit_value("section,variant"),
      "group by these comma-separated keys (alone: section,variant)")("metric", po::value(&metric),
                                                                      "show only this metric (table, markdown, latex)")(
      "epochs", po::bool_switch(), "per-epoch metrics (learning curves) instead of final ones")(
      "removed", po::bool_switch(), "only the jobs edits of the sweep file removed (their results are kept)")(
      "format", po::value(&format), "table | csv | json | markdown | latex");
  po::variables_map vm;
  if (!parse_options(args, kResultsUsage, options, {}, vm)) return 0;
  check_choice("format", format, output_format_names());
  const bool epochs = vm["epochs"].as<bool>();
  if (!metric.empty()) check_choice("metric", metric, epochs ? epoch_metrics() : result_metrics());

  ResultQuery query;
  query.removed = vm["removed"].as<bool>();
  for (const auto& expr : where) query.where.push_back(parse_where(expr));  // bad input before the file is opened
  ResultStore store(db, OpenMode::ReadOnly);
  query.sweep = sweep.empty() ? sweep : store.sweep_named(sweep);  // as stored, in whichever Unicode encoding
  const OutputFormat out = parse_output_format(format);
  std::vector<std::string> keys;
  if (vm.count("group-by")) keys = parse_group_keys(group_by, known_config_keys(store));
  std::vector<JobRow> rows = select_jobs(store, query);
  if (epochs) {
    const std::vector<EpochRow> epoch_rows = select_epochs(store, rows);
    if (keys.empty())
      write_epochs(std::cout, rows, epoch_rows, out, metric);
    else
      std::cout << format_curves(group_epochs(rows, epoch_rows, keys), out, metric);
    if (epoch_rows.empty() && out == OutputFormat::Table)
      std::cerr << (rows.empty() ? (query.removed ? "metasweep results: no removed jobs match\n"
                                                  : "metasweep results: no jobs match\n")
                                 : "metasweep results: no epochs recorded yet\n");
    return 0;
  }
  const bool none = rows.empty();
  if (keys.empty())
    std::cout << format_jobs(rows, out, metric);
  else
    std::cout << format_groups(group_jobs(std::move(rows), keys), out, metric);
  if (none && out == OutputFormat::Table)
    std::cerr << (query.removed ? "metasweep results: no removed jobs match\n" : "metasweep results: no jobs match\n");
  return 0;
}

}  // namespace ms::cli
