// Worker loop: receive, train, report (see worker_loop.h).
#include "orchestrator/worker_loop.h"

#include <chrono>
#include <cstdio>
#include <optional>

#include <torch/torch.h>

#include "orchestrator/mpi_transport.h"
#include "orchestrator/protocol.h"
#include "sweeps/errors.h"
#include "worker/dist/communicator.h"
#include "worker/train/device.h"
#include "worker/train/job_error.h"
#include "worker/train/trainer.h"

namespace ms {

namespace {

// How long a rank whose GPU failed waits for its group's other ranks to end the job too.
constexpr double kPartnersDeadlineS = 120;

JobReport train_one(const Assignment& a, Communicator* comm, CollectiveWatchdog* watchdog, const torch::Device& device,
                    WorkerLink* link, const WorkerSettings& settings) {
  JobReport report;
  report.job_id = a.job_id;
  const auto start = std::chrono::steady_clock::now();
  try {  // the job boundary: whatever goes wrong ends this job, not the sweep
    TrainOptions options;
    options.device = device;
    options.comm = comm;
    options.watchdog = watchdog;
    options.checkpoint_path = a.checkpoint_path;
    options.timeout_s = a.timeout_s;
    options.verbose = settings.verbose;
    options.threads = settings.threads;
    options.cuda_graphs = a.cuda_graphs_off ? "off" : settings.cuda_graphs;
    if (link)
      options.on_epoch = [&](const EpochMetrics& m) {
        link->send(MessageKind::Epoch, encode(EpochReport{a.job_id, m, false}));
      };
    const TrainOutcome outcome = train_job(a.config, a.seed, options);
    // A resumed job's checkpoint may hold an epoch whose report never reached the coordinator (a
    // rank died after writing the checkpoint, before or while sending the report). Re-send every
    // epoch in order, so the database ends with exactly the epochs the model was trained for; the
    // ones restored from the checkpoint say so (they were trained by an earlier attempt).
    if (link && outcome.resumed_from_epoch > 0)
      for (const auto& m : outcome.epochs)
        link->send(MessageKind::Epoch, encode(EpochReport{a.job_id, m, m.epoch <= outcome.resumed_from_epoch}));
    report.status = outcome.status;
    report.error = outcome.status == JobStatus::Diverged ? outcome.message : "";
  } catch (const JobTimeout& e) {
    report.status = JobStatus::Failed;
    report.error = std::string("timeout: ") + e.what();
  } catch (...) {  // the failure's type says whether a retry may succeed (job_error.h)
    const JobError error = classify_job_error(std::current_exception());
    report.status = JobStatus::Failed;
    report.error = error.message;  // one line for the database: no LibTorch backtrace
    report.transient = error.transient;
    report.device_lost = error.device_lost;
    report.capture_failed = error.capture_failed;
  }
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.device = device_description(device, comm ? comm->size() : 1);  // after train_job set its threads
  return report;
}

}  // namespace

void run_worker(WorkerLink* link, MPI_Comm group, const WorkerSettings& settings) {
  TrainingRank rank = setup_training_rank(settings, group, /*announce=*/link != nullptr);  // once per group
  const torch::Device device = rank.device;
  std::unique_ptr<Communicator> comm = std::move(rank.comm);
  const int group_size = rank.group_size;

  for (;;) {
    std::string text;
    if (link) {
      const Message m = link->receive();
      if (m.kind == MessageKind::Assign) text = m.payload;
    }
    if (group_size > 1) text = broadcast_text(group, text);
    if (text.empty()) return;  // Stop
    const Assignment a = decode_assignment(text);
    if (rank.watchdog)
      rank.watchdog->set_context("job " + a.job_id,
                                 a.checkpoint_path.empty() ? "" : hang_record_path(a.checkpoint_path));
    JobReport report = train_one(a, comm.get(), rank.watchdog.get(), device, link, settings);
    // A GPU or communicator that failed for good on any rank ends the group: every later job
    // would fail on it in seconds (the coordinator gives its jobs to the other groups). A rank
    // whose GPU failed outside the job's checks may have left its partners waiting in an NCCL
    // collective, which has no timeout: when they do not come, only ending the run frees them.
    if (group_size > 1) {
      // A partner that hangs in the job outside a collective (say, reading its data) is waited for
      // here: watched like a collective.
      std::optional<CollectiveWatchdog::Scope> watched;
      if (!report.device_lost) watched.emplace(rank.watchdog.get(), "the job's end on every rank");
      const std::optional<bool> lost =
          true_on_any_rank(group, report.device_lost, report.device_lost ? kPartnersDeadlineS : 0);
      if (!lost) {
        const std::string message = partners_lost_message(settings.host, a.job_id, report.error, kPartnersDeadlineS);
        std::fprintf(stderr, "metasweep run: error: %s\n", message.c_str());
        std::fflush(stderr);
        // The next run counts it as the coordinator would have: a loss (free once) or, for a fault
        // of the job's own kernel, a final failure; a fault that follows the job cannot end every run.
        if (!a.checkpoint_path.empty())
          record_hang(hang_record_path(a.checkpoint_path),
                      (report.transient ? kLostRecordPrefix : kFailedRecordPrefix) + message);
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      report.device_lost = *lost;
    }
    if (link) link->send(MessageKind::Finished, encode(report));
    if (report.device_lost) return;  // the coordinator says so
  }
}

}  // namespace ms
