// MPI point-to-point transport: rank 0 polls with MPI_Iprobe and a sleeping back-off; group
// leaders wait for work the same way. Also splits ranks 1..K-1 into worker groups and relays
// a leader's message to the rest of its group with a polled non-blocking broadcast.
#pragma once
#include <list>
#include <mpi.h>
#include <optional>
#include <vector>

#include "orchestrator/transport.h"

namespace ms {

// The layout of worker groups over MPI_COMM_WORLD: group g = ranks 1 + g*n .. g*n + n.
struct GroupLayout {
  int ranks_per_job = 1;
  int num_groups = 0;
  int group = -1;  // this rank's group, -1 for rank 0 and for ranks left over
  bool leader = false;
  std::vector<int> leaders;  // world rank of each group's leader
  std::vector<int> parked;   // ranks that do not fit a full group (they only wait for Stop)
};
GroupLayout make_group_layout(int world_rank, int world_size, int ranks_per_job);

// RAII over MPI_Comm_split: this rank's group communicator (MPI_COMM_NULL for rank 0).
class GroupComm {
 public:
  GroupComm(const GroupLayout& layout, int world_rank);
  ~GroupComm();
  GroupComm(const GroupComm&) = delete;
  GroupComm& operator=(const GroupComm&) = delete;
  MPI_Comm get() const { return comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
};

class MpiCoordinatorLink : public CoordinatorLink {
 public:
  MpiCoordinatorLink(const GroupLayout& layout, std::vector<std::string> group_names);
  int num_groups() const override { return static_cast<int>(leaders_.size()); }
  std::string group_name(int group) const override { return names_.at(group); }
  void send(int group, MessageKind kind, const std::string& payload) override;
  std::optional<Message> poll() override;
  void stop_parked();  // releases ranks that belong to no group
  ~MpiCoordinatorLink() override;

 private:
  // Sends are non-blocking: a job's config can exceed the eager limit, and a blocking send would
  // then spin (sched_yield) until the idle leader's next poll picks it up.
  struct PendingSend {
    std::string payload;
    MPI_Request request;
  };
  void complete_sends(bool wait);
  std::list<PendingSend> pending_;
  std::vector<int> leaders_;
  std::vector<int> parked_;
  std::vector<std::string> names_;
};

class MpiWorkerLink : public WorkerLink {
 public:
  Message receive() override;
  void send(MessageKind kind, const std::string& payload) override;
};

// Leader's text to every rank of the group (polled, so waiting ranks sleep instead of spin).
std::string broadcast_text(MPI_Comm group, const std::string& text_on_root);
// Whether `mine` is true on any rank of the group (every rank learns it), waited for without
// spinning; none when `deadline_s` (> 0) passed before every rank came.
std::optional<bool> true_on_any_rank(MPI_Comm group, bool mine, double deadline_s = 0);

}  // namespace ms
