// `metasweep forget --db FILE (--sweep NAME | --job ID) [--checkpoint-dir DIR] [--yes]`: removes a
// sweep (its jobs that no other sweep shares, their epochs and checkpoints) or resets one job's
// results to pending, after saying exactly what goes and asking (--yes for scripts).
#include <iostream>

#include "cli/options.h"
#include "results/store/store.h"
#include "results/store/sweep_admin.h"
#include "sweeps/config_schema.h"
#include "sweeps/errors.h"

namespace ms::cli {

namespace {

const char* kForgetUsage = R"(usage: metasweep forget --db FILE (--sweep NAME | --job ID) [--checkpoint-dir DIR] [--yes]

--sweep NAME  forget a sweep: the sweep, its notes, and its jobs that no other sweep shares, with
              their epochs and checkpoints (jobs shared with other sweeps stay)
--job ID      forget one job's results: back to pending, epochs and checkpoint dropped, so the
              next `run` trains it afresh (a unique prefix of the id is enough)
Asks for confirmation on a terminal; scripts pass --yes. Refused while a run uses FILE.)";

}  // namespace

int cmd_forget(const Args& args) {
  po::options_description options("forget options");
  std::string db, sweep, job, checkpoint_dir;
  bool yes = false;
  options.add_options()("db", po::value(&db)->required(), "results database (SQLite)")(
      "sweep", po::value(&sweep), "the sweep to forget")("job", po::value(&job), "the job whose results to forget")(
      "checkpoint-dir", po::value(&checkpoint_dir), "the runs' checkpoint directory (default: FILE.checkpoints)")(
      "yes,y", po::bool_switch(&yes), "do not ask");
  po::variables_map vm;
  if (!parse_options(args, kForgetUsage, options, {}, vm)) return 0;
  if (sweep.empty() == job.empty()) throw UsageError("give exactly one of --sweep NAME and --job ID");
  if (checkpoint_dir.empty()) checkpoint_dir = default_checkpoint_dir(db);
  if (!sweep.empty()) {
    ForgetPlan plan;
    {
      const ResultStore store(db, OpenMode::ReadOnly);
      sweep = store.sweep_named(sweep);  // as stored, in whichever Unicode encoding
      plan = plan_forget_sweep(store, sweep);
    }
    const std::string what = "forget sweep '" + sweep + "': remove " + std::to_string(plan.jobs.size()) + " jobs (" +
                             std::to_string(plan.epochs) + " epochs) and keep " + std::to_string(plan.shared.size()) +
                             " shared with other sweeps";
    if (!confirm(what, yes)) {
      std::cerr << "nothing changed\n";
      return 1;
    }
    const ForgetPlan done = forget_sweep(db, sweep, checkpoint_dir);
    std::cout << "forgot sweep " << sweep << ": " << done.jobs.size() << " jobs removed, " << done.shared.size()
              << " kept (shared)\n";
    return 0;
  }
  JobInfo info;
  {
    const ResultStore store(db, OpenMode::ReadOnly);
    info = job_info(store, job);
  }
  job = info.id;  // the whole id where a prefix was given
  const std::string what = "forget the results of job " + job + " (" + to_string(info.status) + ", " +
                           std::to_string(info.epochs) + " epochs; sweeps: " + join(info.sweeps, ", ") +
                           "): back to pending";
  if (!confirm(what, yes)) {
    std::cerr << "nothing changed\n";
    return 1;
  }
  forget_job(db, job, checkpoint_dir);
  std::cout << "job " << job << " is pending again: the next run trains it afresh\n";
  return 0;
}

}  // namespace ms::cli
