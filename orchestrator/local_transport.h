// In-process transport for `metasweep run` without mpirun: the coordinator runs on the main
// thread and one worker on a second thread, exchanging the same messages through two queues.
#pragma once
#include <condition_variable>
#include <deque>
#include <mutex>

#include "orchestrator/transport.h"

namespace ms {

class LocalChannel {
 public:
  void push(Message m);
  std::optional<Message> try_pop();
  Message pop();  // blocks on a condition variable (no spinning)

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Message> queue_;
};

// One worker group, "local". Owns both directions.
class LocalTransport {
 public:
  CoordinatorLink& coordinator() { return coordinator_; }
  WorkerLink& worker() { return worker_; }

 private:
  class Coordinator : public CoordinatorLink {
   public:
    explicit Coordinator(LocalTransport& t) : t_(t) {}
    int num_groups() const override { return 1; }
    std::string group_name(int) const override { return "local"; }
    void send(int, MessageKind kind, const std::string& payload) override { t_.to_worker_.push({kind, 0, payload}); }
    std::optional<Message> poll() override { return t_.to_coordinator_.try_pop(); }

   private:
    LocalTransport& t_;
  };
  class Worker : public WorkerLink {
   public:
    explicit Worker(LocalTransport& t) : t_(t) {}
    Message receive() override { return t_.to_worker_.pop(); }
    void send(MessageKind kind, const std::string& payload) override { t_.to_coordinator_.push({kind, 0, payload}); }

   private:
    LocalTransport& t_;
  };

  LocalChannel to_worker_, to_coordinator_;
  Coordinator coordinator_{*this};
  Worker worker_{*this};
};

}  // namespace ms
