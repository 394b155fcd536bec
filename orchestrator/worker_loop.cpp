// Worker loop: receive, train, report (see worker_loop.h).
#include "worker_loop.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "communicator.h"
#include "cuda_graph_step.h"
#include "device.h"
#include "errors.h"
#include "mpi_transport.h"
#include "protocol.h"
#include "trainer.h"

namespace ms {

namespace {

// Refuses a multi-rank CUDA group with two ranks on one GPU (NCCL cannot run that).
void check_distinct_gpus(MPI_Comm group, const torch::Device& device) {
  if (group == MPI_COMM_NULL || !device.is_cuda()) return;
  char host[MPI_MAX_PROCESSOR_NAME] = {0};
  int len = 0;
  MPI_Get_processor_name(host, &len);
  const std::string mine = std::string(host, len) + ":" + std::to_string(device.index());
  int size = 0;
  MPI_Comm_size(group, &size);
  std::vector<char> all(static_cast<size_t>(size) * 256, 0);
  char buf[256] = {0};
  mine.copy(buf, 255);
  MPI_Allgather(buf, 256, MPI_CHAR, all.data(), 256, MPI_CHAR, group);
  std::set<std::string> seen;
  for (int r = 0; r < size; ++r)
    if (!seen.insert(std::string(&all[static_cast<size_t>(r) * 256])).second)
      throw std::runtime_error("two ranks of one job share GPU " + std::string(&all[static_cast<size_t>(r) * 256]) +
                               ": use at most one rank per GPU per job (fewer --ranks-per-job or more GPUs)");
}

JobReport train_one(const Assignment& a, Communicator* comm, const torch::Device& device, WorkerLink* link,
                    const WorkerSettings& settings) {
  JobReport report;
  report.job_id = a.job_id;
  const auto start = std::chrono::steady_clock::now();
  try {  // the job boundary: whatever goes wrong ends this job, not the sweep
    TrainOptions options;
    options.device = device;
    options.comm = comm;
    options.checkpoint_path = a.checkpoint_path;
    options.timeout_s = a.timeout_s;
    options.verbose = settings.verbose;
    options.threads = settings.threads;
    options.cuda_graphs = settings.cuda_graphs;
    if (link)
      options.on_epoch = [&](const EpochMetrics& m) { link->send(MessageKind::Epoch, encode(EpochReport{a.job_id, m})); };
    const TrainOutcome outcome = train_job(a.config, a.seed, options);
    // A resumed job's checkpoint may hold an epoch whose report never reached the coordinator (a
    // rank died after writing the checkpoint, before or while sending the report). Re-send every
    // epoch in order, so the database ends with exactly the epochs the model was trained for.
    if (options.on_epoch && outcome.resumed_from_epoch > 0)
      for (const auto& m : outcome.epochs) options.on_epoch(m);
    report.status = outcome.status;
    report.error = outcome.status == JobStatus::Diverged ? outcome.message : "";
  } catch (const JobTimeout& e) {
    report.status = JobStatus::Failed;
    report.error = std::string("timeout: ") + e.what();
  } catch (const std::exception& e) {
    report.status = JobStatus::Failed;
    report.error = user_message(e.what());  // one line for the database: no LibTorch backtrace
    report.transient = is_transient_error(report.error);
  }
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace

void run_worker(WorkerLink* link, MPI_Comm group, const WorkerSettings& settings) {
  const torch::Device device = pick_device(settings.device, settings.local_rank);
  check_distinct_gpus(group, device);
  if (link) {  // once per group: --cuda-graphs on where it cannot apply
    const std::string note = cuda_graphs_note(settings.cuda_graphs, device);
    if (!note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
  }
  std::unique_ptr<Communicator> comm;
  int group_size = 1;
  if (group != MPI_COMM_NULL) MPI_Comm_size(group, &group_size);
  if (group_size > 1) comm = make_communicator(group, device);

  for (;;) {
    std::string text;
    if (link) {
      const Message m = link->receive();
      if (m.kind == MessageKind::Assign) text = m.payload;
    }
    if (group_size > 1) text = broadcast_text(group, text);
    if (text.empty()) return;  // Stop
    const Assignment a = decode_assignment(text);
    const JobReport report = train_one(a, comm.get(), device, link, settings);
    if (link) link->send(MessageKind::Finished, encode(report));
  }
}

}  // namespace ms
