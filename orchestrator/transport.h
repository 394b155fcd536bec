// How the coordinator talks to worker groups, and a worker group leader to the coordinator.
// Two implementations: MPI point-to-point between ranks (mpi_transport.h) and in-process
// queues for `metasweep run` without mpirun (local_transport.h). The coordinator and worker
// loops are the same code over either.
#pragma once
#include <optional>

#include "orchestrator/protocol.h"

namespace ms {

class CoordinatorLink {
 public:
  virtual ~CoordinatorLink() = default;
  virtual int num_groups() const = 0;
  virtual std::string group_name(int group) const = 0;  // for logs and the database ("rank 3@host")
  virtual void send(int group, MessageKind kind, const std::string& payload) = 0;
  // Non-blocking: a message from any group, or nothing. The caller backs off between polls.
  virtual std::optional<Message> poll() = 0;
};

class WorkerLink {
 public:
  virtual ~WorkerLink() = default;
  // Waits (without spinning) for the next message from the coordinator: Assign or Stop.
  virtual Message receive() = 0;
  virtual void send(MessageKind kind, const std::string& payload) = 0;
};

}  // namespace ms
