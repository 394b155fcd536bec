// The coordinator loop (see coordinator.h).
#include "orchestrator/coordinator.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "orchestrator/backoff.h"
#include "orchestrator/progress.h"
#include "orchestrator/worker_settings.h"
#include "results/store/query.h"
#include "results/store/sweep_admin.h"
#include "sweeps/user_text.h"
#include "sweeps/version.h"
#include "worker/models/plan_costs.h"
#include "worker/train/job_error.h"

namespace ms {

std::atomic<int> g_stop_signal{0};

namespace {

std::string checkpoint_path(const RunSettings& s, const std::string& id) {
  return s.checkpoint_dir.empty() ? "" : s.checkpoint_dir + "/" + id + ".ckpt";
}

// Why a worker ended an earlier run because of a job: the record it left beside the job's
// checkpoint (worker_settings.h), removed as read.
struct RunEndRecord {
  // Its GPU or communicator failed while the job's other ranks waited: a loss (`lost`, free once)
  // or the job's own kernel fault (`failed`, final); else the job hung (`hung`).
  std::string outcome;
  std::string message;    // as the job's error
  double written_at = 0;  // Unix seconds: when the run was ended
};

std::optional<RunEndRecord> take_run_end_record(const std::string& checkpoint) {
  if (checkpoint.empty()) return std::nullopt;
  const std::string path = hang_record_path(checkpoint);
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  in.close();
  const double written_at = file_mtime(path).value_or(unix_now());
  std::error_code ec;
  std::filesystem::remove(path, ec);
  for (const auto& [prefix, outcome] :
       {std::pair<const char*, const char*>{kLostRecordPrefix, "lost"}, {kFailedRecordPrefix, "failed"}})
    if (line.rfind(prefix, 0) == 0) return RunEndRecord{outcome, line.substr(std::strlen(prefix)), written_at};
  // A hang keeps its "hung: " in the job's message; a line of no known kind (an older metasweep's
  // record) is a hang in its own words.
  if (line.rfind(kHungRecordPrefix, 0) != 0) line = kHungRecordPrefix + line;
  if (line == kHungRecordPrefix) line += "the run was ended by a hang of this job";
  return RunEndRecord{"hung", line, written_at};
}

std::string job_name(const Job& job) {
  return job.section + " / " + job.variant + " seed " + std::to_string(job.seed) + " [" + job.id + "]";
}

// `run -v`: one line per epoch that says which job it belongs to.
std::string epoch_line(const Job& job, const EpochMetrics& m) {
  return job_name(job) + " " + format_epoch_line(m, job.config["task"]["epochs"].get<int64_t>());
}

}  // namespace

RunSummary run_coordinator(const SweepSpec& spec, const std::string& yaml_text, std::vector<Job> jobs,
                           CoordinatorLink& link, ResultStore& store, const RunSettings& settings) {
  if (!settings.checkpoint_dir.empty()) std::filesystem::create_directories(settings.checkpoint_dir);
  // Jobs a killed run left `running` resume from their checkpoints. The run lock says no other run
  // writes this database, so every `running` job is stale, also one an edit of its sweep file has
  // since dropped (register_sweep below would take it out of this sweep's reach).
  store.reset_stale_running();
  const MembershipChange change = store.register_sweep(spec, yaml_text, jobs, settings.fresh);
  for (const auto& id : change.reset) remove_checkpoints(settings.checkpoint_dir, id);
  if (change.former_reset > 0)
    std::fprintf(stderr,
                 "sweep %s: --fresh also started over %d job(s) an edit removed from the sweep earlier (re-added, "
                 "they train again)\n",
                 spec.name.c_str(), change.former_reset);
  if (!change.kept_shared.empty()) {
    std::string names;
    for (const auto& s : change.sharing_sweeps) names += (names.empty() ? "" : ", ") + printable(s);
    std::fprintf(stderr,
                 "sweep %s: --fresh kept %zu finished job(s) that sweep(s) %s also hold: their results are those "
                 "sweeps' too (`metasweep forget --db FILE --job ID` retrains one)\n",
                 spec.name.c_str(), change.kept_shared.size(), names.c_str());
  }
  // A sweep is its current definition (DESIGN.md §4): say what an edit of the file changed.
  if (!change.new_sweep && (change.added > 0 || change.removed > 0))
    std::fprintf(stderr,
                 "sweep %s: the definition changed since it was last registered%s%s%s: %d job(s) added, %d removed "
                 "(removed jobs keep their results in the database, queryable by id, but leave this sweep's tables)\n",
                 spec.name.c_str(), change.previous_file.empty() ? "" : " (from ", change.previous_file.c_str(),
                 change.previous_file.empty() ? "" : ")", change.added, change.removed);
  // Results trained under an older training semantics never mix silently with new ones.
  const std::vector<std::string> older = store.jobs_trained_before(spec.name);
  if (!older.empty() && settings.retrain_older) {
    for (const auto& id : older) remove_checkpoints(settings.checkpoint_dir, id);
    store.reset_jobs(older);
    std::fprintf(stderr,
                 "sweep %s: training %zu job(s) again that an older metasweep trained (under training semantics "
                 "before %d, where a later one changed their configs' training)\n",
                 spec.name.c_str(), older.size(), kTrainingSemantics);
  } else if (!older.empty()) {
    std::fprintf(
        stderr,
        "sweep %s: %zu job(s) were trained by an older metasweep whose training of their configs this one changed "
        "(training semantics before %d, metasweep %s); their results are kept and the report marks them; `run "
        "--retrain-older` trains them again\n",
        spec.name.c_str(), older.size(), kTrainingSemantics, kMetasweepVersion);
  }

  std::map<std::string, const Job*> by_id;
  for (const auto& j : jobs) by_id[j.id] = &j;
  // --verbose prints each epoch an attempt trains once, and an epoch restored from a checkpoint
  // only when the database lacked it when the attempt began (its report was lost with a killed run).
  struct Shown {
    int64_t recorded_before = 0;  // the last epoch the database had when the attempt was assigned
    std::set<int64_t> printed;
  };
  std::map<std::string, Shown> verbose_shown;
  std::deque<const Job*> queue;
  RunSummary summary;
  summary.checkpoint_dir = settings.checkpoint_dir;
  std::set<std::string> failed_now;  // failed before any worker saw them (cost_error)
  for (const auto& id : store.runnable_jobs(spec.name, settings.max_retries)) {
    auto it = by_id.find(id);
    if (it == by_id.end()) continue;
    const Job* job = it->second;
    if (!job->cost_error.empty()) {  // its model cannot even be built here: failed, never sent
      store.job_finished(job->id, JobStatus::Failed, job->cost_error, -1);
      ++summary.failed;
      failed_now.insert(job->id);
      std::fprintf(stderr, "job %s (%s / %s seed %lld) failed: %s\n", job->id.c_str(), job->section.c_str(),
                   job->variant.c_str(), static_cast<long long>(job->seed), job->cost_error.c_str());
      continue;
    }
    // A run that this job ended (a rank left why beside its checkpoint) counts as the job's
    // attempt, as the coordinator would have counted it: a hang as a failed one, so a hang that
    // follows the job stops after --max-retries instead of ending every run after --hang-timeout;
    // a lost GPU as a loss, free the first time, a failure after; a fault of the job's own kernel
    // as a final failure.
    if (const std::optional<RunEndRecord> ended = take_run_end_record(checkpoint_path(settings, id))) {
      const bool lost = ended->outcome == "lost", own_fault = ended->outcome == "failed";
      const bool free_loss = lost && store.losses(id) == 0;
      store.job_ended_run(id, ended->outcome, ended->message, !free_loss, ended->written_at);
      const bool retry = free_loss || (!own_fault && store.failures(id) <= settings.max_retries);
      std::fprintf(stderr, "job %s (%s / %s seed %lld) %s%s: %s\n", id.c_str(), job->section.c_str(),
                   job->variant.c_str(), static_cast<long long>(job->seed),
                   lost        ? "lost its group's GPU in an earlier run, ending it"
                   : own_fault ? "faulted on its GPU in an earlier run, ending it"
                               : "hung in an earlier run",
                   free_loss   ? " (not counted against --max-retries the first time; retrying)"
                   : own_fault ? " (a fault of its own kernel: failed, not retried)"
                   : retry     ? " (a failed attempt; retrying)"
                               : " (a failed attempt; its retries are used up)",
                   ended->message.c_str());
      if (!retry) {
        ++summary.failed;
        failed_now.insert(id);
        continue;
      }
    }
    queue.push_back(job);
  }
  // Longest first: big jobs start early, small ones fill the gaps at the end.
  std::stable_sort(queue.begin(), queue.end(),
                   [](const Job* a, const Job* b) { return estimated_cost(*a) > estimated_cost(*b); });

  summary.total = static_cast<int>(jobs.size());
  double queued_cost = 0;
  for (const Job* j : queue) queued_cost += estimated_cost(*j);
  const auto run_started = std::chrono::steady_clock::now();
  Progress progress(summary.total, queued_cost, settings.progress);
  std::set<std::string> eager;  // configs whose CUDA graph capture failed, in this run or an earlier one
  {  // jobs finished by earlier runs count in the line, by status, and towards the best variant
    std::set<std::string> queued;
    for (const Job* j : queue) queued.insert(j->id);
    // A capture that failed in an earlier run (an attempt's message says so, whatever its later
    // attempts did): its configuration trains without graphs from the start.
    for (const std::string& id : store.jobs_with_attempt_error(spec.name, kCaptureBroken))
      if (by_id.count(id)) eager.insert(by_id.at(id)->config.dump());
    // Queued jobs with epochs recorded go on from their checkpoints; one without any (an earlier
    // run that wrote them to another --checkpoint-dir) starts over, which is said, not silent.
    std::set<std::string> checkpointed;
    std::error_code ec;
    if (!settings.checkpoint_dir.empty())
      for (const auto& entry : std::filesystem::directory_iterator(settings.checkpoint_dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (const size_t dot = name.find(".ckpt"); dot != std::string::npos) checkpointed.insert(name.substr(0, dot));
      }
    std::vector<std::string> restarting;
    ResultQuery q;
    q.sweep = spec.name;
    for (const JobRow& row : select_jobs(store, q)) {
      if (queued.count(row.id) && row.epochs_done > 0 && !settings.checkpoint_dir.empty() &&
          !checkpointed.count(row.id))
        restarting.push_back(row.id + " (" + std::to_string(row.epochs_done) + " epochs)");
      if (!by_id.count(row.id) || queued.count(row.id)) continue;
      progress.add_finished(row.section + " / " + row.variant, row.status, row.test_acc.value_or(-1));
      if (row.status == JobStatus::Failed && !failed_now.count(row.id)) {  // attempts used up: still failed
        ++summary.failed_before;
        summary.failed_before_ids.push_back(row.id);
        summary.retries_needed = std::max(summary.retries_needed, store.failures(row.id));
      }
    }
    if (!restarting.empty())
      progress.message("warning: " + std::to_string(restarting.size()) +
                       " interrupted job(s) have epochs recorded but no checkpoint in " + settings.checkpoint_dir +
                       " (e.g. " + restarting.front() +
                       "): they train again from epoch 1 (did the earlier run use another --checkpoint-dir?)");
  }
  summary.skipped_done = summary.total - static_cast<int>(queue.size()) - summary.failed - summary.failed_before;
  progress.message("sweep " + spec.name + ": " + std::to_string(summary.total) + " jobs, " +
                   std::to_string(summary.skipped_done) + " already finished, " +
                   (summary.failed_before
                        ? std::to_string(summary.failed_before) + " failed earlier (attempts used up, not retried), "
                        : std::string()) +
                   std::to_string(queue.size()) + " to run on " + std::to_string(link.num_groups()) +
                   " worker group(s)");

  std::vector<std::optional<std::string>> busy(static_cast<size_t>(link.num_groups()));
  std::vector<bool> lost(busy.size(), false);  // its GPU or communicator failed: no more jobs
  auto any_busy = [&] { return std::any_of(busy.begin(), busy.end(), [](const auto& b) { return b.has_value(); }); };
  auto all_lost = [&] { return std::all_of(lost.begin(), lost.end(), [](bool l) { return l; }); };
  Backoff backoff(20);
  while ((!queue.empty() && !all_lost()) || any_busy()) {
    if (g_stop_signal.load()) {
      store.reset_running(spec.name);
      summary.interrupted = true;
      break;
    }
    for (size_t g = 0; g < busy.size() && !queue.empty(); ++g) {
      if (busy[g] || lost[g]) continue;
      const Job* job = queue.front();
      queue.pop_front();
      if (remove_checkpoints_from_before_reset(store, settings.checkpoint_dir, job->id) > 0)
        std::fprintf(stderr,
                     "job %s: removed its checkpoint in %s from before the database reset it (forget --job or a "
                     "fresh start): it trains from the start\n",
                     job->id.c_str(), printable(settings.checkpoint_dir).c_str());
      store.job_started(job->id, link.group_name(static_cast<int>(g)), settings.ranks_per_job);
      Assignment a{job->id,
                   job->config,
                   job->seed,
                   store.attempts(job->id),
                   checkpoint_path(settings, job->id),
                   settings.job_timeout_s,
                   !eager.empty() && eager.count(job->config.dump()) > 0};  // a config's text only when needed
      link.send(static_cast<int>(g), MessageKind::Assign, encode(a));
      busy[g] = job->id;
      if (settings.verbose) {
        const std::vector<EpochMetrics> recorded = store.epochs(job->id);
        verbose_shown[job->id] = Shown{recorded.empty() ? 0 : recorded.back().epoch, {}};
      }
      progress.job_started(job->id, estimated_cost(*job), job->section + " / " + job->variant,
                           job->config["task"]["epochs"].get<int>());
    }

    const std::optional<Message> msg = link.poll();
    if (!msg) {
      progress.maybe_print();
      backoff.wait();
      continue;
    }
    backoff.reset();
    if (msg->kind == MessageKind::Epoch) {
      const EpochReport r = decode_epoch(msg->payload);
      store.record_epoch(r.job_id, r.metrics, r.replayed);
      progress.epoch_done(r.job_id, static_cast<int>(r.metrics.epoch), r.metrics.test_acc);
      // A resumed job re-sends all its epochs when it ends (worker_loop.cpp).
      Shown& shown = verbose_shown[r.job_id];
      if (settings.verbose && by_id.count(r.job_id) && !(r.replayed && r.metrics.epoch <= shown.recorded_before) &&
          shown.printed.insert(r.metrics.epoch).second)
        progress.message(epoch_line(*by_id.at(r.job_id), r.metrics) +
                         (r.replayed ? "  (trained before the restart; from its checkpoint)" : ""));
    } else if (msg->kind == MessageKind::Finished) {
      const JobReport r = decode_job_report(msg->payload);
      busy.at(static_cast<size_t>(msg->group)).reset();
      const Job& job = *by_id.at(r.job_id);
      // A job whose group lost its GPU or communicator to a fault not the job's own (a hardware
      // fault, a failed collective or capture) uses up no retry: another group runs it. Once only:
      // when an earlier attempt of the job was lost too, this loss counts as a failure, as the
      // fault may follow the job (a launch failure of its own kernel) and a run with one group
      // would otherwise retry it in every run for ever. Interrupted attempts do not count.
      const bool group_to_blame =
          r.status == JobStatus::Failed && r.device_lost && r.transient && store.losses(r.job_id) == 0;
      store.attempt_ran_on(r.job_id, r.device);
      if (group_to_blame)
        store.job_requeued(r.job_id, r.error);
      else
        store.job_finished(r.job_id, r.status, r.error, r.wall_s, r.device_lost && r.transient ? "lost" : "");
      if (r.capture_failed && eager.insert(job.config.dump()).second)
        progress.message("warning: the CUDA graph capture of " + job_name(job) +
                         "'s training step failed: its configuration trains without graphs from now on");
      if (r.device_lost) {
        lost.at(static_cast<size_t>(msg->group)) = true;
        const std::string name = link.group_name(msg->group);
        summary.groups_lost.push_back(name);
        const auto left = std::count(lost.begin(), lost.end(), false);
        progress.message(
            "warning: worker group " + name + " takes no more jobs: its GPU or NCCL communicator failed (" + r.error +
            "); " +
            (left ? "the sweep goes on with " + std::to_string(left) + " group(s)" : std::string("no group is left")));
      }
      if (group_to_blame ||
          (r.status == JobStatus::Failed && r.transient && store.failures(r.job_id) <= settings.max_retries)) {
        progress.message("job " + job_name(job) +
                         (all_lost() ? " failed (left for the next run): " : " failed, retrying: ") + r.error);
        progress.job_requeued(r.job_id);
        queue.push_back(&job);
        continue;
      }
      if (r.status == JobStatus::Failed) {
        ++summary.failed;
        progress.message("job " + job_name(job) + " failed: " + r.error);
      } else {
        if (r.status == JobStatus::Diverged)  // the trainer's message starts "diverged: " already
          progress.message("job " + job_name(job) + (r.error.rfind("diverged", 0) == 0 ? ": " : " diverged: ") +
                           r.error);
        (r.status == JobStatus::Diverged ? summary.diverged : summary.done)++;
        remove_checkpoints(settings.checkpoint_dir, r.job_id);
      }
      progress.job_ended(r.job_id, r.status);
    }
    // No print here: the next round first hands out free groups, so a job's end and the next
    // job's start make one progress line, not two (printed when the link has nothing to say).
  }
  if (!summary.interrupted) {
    summary.not_run = static_cast<int>(queue.size());  // every group lost
    if (summary.not_run > 0)
      progress.message("error: " + std::to_string(summary.not_run) +
                       " job(s) not run: every worker group's GPU or communicator failed; after fixing the "
                       "machines, the same command runs them");
    for (int g = 0; g < link.num_groups(); ++g)
      if (!lost[static_cast<size_t>(g)]) link.send(g, MessageKind::Stop, "");  // a lost group has left
  }
  progress.finish();
  summary.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - run_started).count();
  return summary;
}

}  // namespace ms
