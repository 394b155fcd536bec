// MPI transport and worker-group layout (see mpi_transport.h).
#include "orchestrator/mpi_transport.h"

#include <chrono>
#include <stdexcept>

#include "orchestrator/backoff.h"

namespace ms {

GroupLayout make_group_layout(int world_rank, int world_size, int ranks_per_job) {
  GroupLayout l;
  l.ranks_per_job = ranks_per_job;
  const int workers = world_size - 1;
  l.num_groups = workers / ranks_per_job;
  for (int g = 0; g < l.num_groups; ++g) l.leaders.push_back(1 + g * ranks_per_job);
  for (int r = 1 + l.num_groups * ranks_per_job; r < world_size; ++r) l.parked.push_back(r);
  if (world_rank >= 1 && world_rank < 1 + l.num_groups * ranks_per_job) {
    l.group = (world_rank - 1) / ranks_per_job;
    l.leader = (world_rank - 1) % ranks_per_job == 0;
  }
  return l;
}

GroupComm::GroupComm(const GroupLayout& layout, int world_rank) {
  const int color = layout.group >= 0 ? layout.group : MPI_UNDEFINED;
  MPI_Comm_split(MPI_COMM_WORLD, color, world_rank, &comm_);
}

GroupComm::~GroupComm() {
  if (comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

MpiCoordinatorLink::MpiCoordinatorLink(const GroupLayout& layout, std::vector<std::string> group_names)
    : leaders_(layout.leaders), parked_(layout.parked), names_(std::move(group_names)) {}

void MpiCoordinatorLink::send(int group, MessageKind kind, const std::string& payload) {
  complete_sends(false);
  pending_.push_back(PendingSend{payload, MPI_REQUEST_NULL});
  PendingSend& p = pending_.back();
  MPI_Isend(p.payload.data(), static_cast<int>(p.payload.size()), MPI_CHAR, leaders_.at(group), static_cast<int>(kind),
            MPI_COMM_WORLD, &p.request);
}

void MpiCoordinatorLink::complete_sends(bool wait) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    int done = 0;
    if (wait) {
      Backoff backoff(5);
      while (MPI_Test(&it->request, &done, MPI_STATUS_IGNORE), !done) backoff.wait();
    } else {
      MPI_Test(&it->request, &done, MPI_STATUS_IGNORE);
    }
    it = done ? pending_.erase(it) : std::next(it);
  }
}

MpiCoordinatorLink::~MpiCoordinatorLink() { complete_sends(true); }

void MpiCoordinatorLink::stop_parked() {
  for (int r : parked_) MPI_Send(nullptr, 0, MPI_CHAR, r, static_cast<int>(MessageKind::Stop), MPI_COMM_WORLD);
}

std::optional<Message> MpiCoordinatorLink::poll() {
  complete_sends(false);
  int flag = 0;
  MPI_Status status;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
  if (!flag) return std::nullopt;
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string payload(static_cast<size_t>(count), '\0');
  MPI_Recv(payload.data(), count, MPI_CHAR, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  int group = -1;
  for (size_t g = 0; g < leaders_.size(); ++g)
    if (leaders_[g] == status.MPI_SOURCE) group = static_cast<int>(g);
  if (group < 0)
    throw std::runtime_error("message from rank " + std::to_string(status.MPI_SOURCE) + ", not a group leader");
  return Message{static_cast<MessageKind>(status.MPI_TAG), group, std::move(payload)};
}

Message MpiWorkerLink::receive() {
  Backoff backoff(10);
  int flag = 0;
  MPI_Status status;
  for (;;) {
    MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
    if (flag) break;
    backoff.wait();
  }
  int count = 0;
  MPI_Get_count(&status, MPI_CHAR, &count);
  std::string payload(static_cast<size_t>(count), '\0');
  MPI_Recv(payload.data(), count, MPI_CHAR, 0, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return Message{static_cast<MessageKind>(status.MPI_TAG), 0, std::move(payload)};
}

void MpiWorkerLink::send(MessageKind kind, const std::string& payload) {
  MPI_Send(payload.data(), static_cast<int>(payload.size()), MPI_CHAR, 0, static_cast<int>(kind), MPI_COMM_WORLD);
}

namespace {
// Waits for `request` without spinning; false when `deadline_s` (> 0) passed first.
bool polled_wait(MPI_Request& request, double deadline_s = 0) {
  const auto start = std::chrono::steady_clock::now();
  Backoff backoff(20);
  int done = 0;
  for (;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return true;
    if (deadline_s > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > deadline_s)
      return false;
    backoff.wait();
  }
}

void polled_bcast(void* data, int count, MPI_Datatype type, MPI_Comm comm) {
  MPI_Request request;
  MPI_Ibcast(data, count, type, 0, comm, &request);
  polled_wait(request);
}
}  // namespace

std::string broadcast_text(MPI_Comm group, const std::string& text_on_root) {
  int rank = 0;
  MPI_Comm_rank(group, &rank);
  long long size = rank == 0 ? static_cast<long long>(text_on_root.size()) : 0;
  polled_bcast(&size, 1, MPI_LONG_LONG, group);
  std::string text = rank == 0 ? text_on_root : std::string(static_cast<size_t>(size), '\0');
  if (size > 0) polled_bcast(text.data(), static_cast<int>(size), MPI_CHAR, group);
  return text;
}

std::optional<bool> true_on_any_rank(MPI_Comm group, bool mine, double deadline_s) {
  int in = mine ? 1 : 0, out = 0;
  MPI_Request request;
  MPI_Iallreduce(&in, &out, 1, MPI_INT, MPI_MAX, group, &request);
  if (!polled_wait(request, deadline_s)) return std::nullopt;  // the request stays pending: the caller aborts
  return out != 0;
}

}  // namespace ms
