// A watchdog for a data-parallel group's waits on each other. MPI and NCCL collectives have no
// timeout: when a partner rank hangs without failing (a GPU that stopped, a stalled file system,
// a lost link), the others wait in their next collective for ever, burning the allocation. Every
// such wait is registered here while it lasts; when the oldest lasts longer than the timeout, the
// watchdog's thread calls `on_hang` once (the worker ends the run there: the same command then
// resumes it from the checkpoints). No LibTorch here: the CUDA side is a `finished` predicate.
// Two threads: one only times the waits and never calls a predicate, so that a predicate stuck in
// the CUDA driver (as when the GPU hangs) cannot keep the hang from being reported; the other,
// started with the first predicate, polls them.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace ms {

struct Hang {
  std::string what;     // the wait, e.g. "all-reduce of 1234 float values"
  std::string context;  // set_context's text, e.g. "job 3f2a..."
  double waited_s = 0;
  std::string record_path;  // set_context's file to record the hang in ("": none)
};

class CollectiveWatchdog {
 public:
  using OnHang = std::function<void(const Hang&)>;
  // timeout_s > 0. `on_hang` runs on the watchdog's thread, at most once.
  CollectiveWatchdog(double timeout_s, OnHang on_hang);
  ~CollectiveWatchdog();
  CollectiveWatchdog(const CollectiveWatchdog&) = delete;
  CollectiveWatchdog& operator=(const CollectiveWatchdog&) = delete;

  // A wait begins. It ends with end(id) or, when `finished` is given, once the watchdog's thread
  // sees it return true (for work a GPU does after the call returned). Waits end in the order
  // they began, so only the oldest is polled and timed.
  uint64_t begin(std::string what, std::function<bool()> finished = {});
  void end(uint64_t id);
  // What the waits are part of, for the message (the job), and a file where `on_hang` may record
  // the hang for later (beside the job's checkpoint; "": none).
  void set_context(std::string context, std::string record_path = "");
  double timeout_s() const { return timeout_s_; }
  uint64_t begun() const;  // waits registered so far

  // RAII: begin() .. end() around a blocking call.
  class Scope {
   public:
    Scope(CollectiveWatchdog* dog, std::string what) : dog_(dog), id_(dog ? dog->begin(std::move(what)) : 0) {}
    ~Scope() {
      if (dog_) dog_->end(id_);
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CollectiveWatchdog* dog_;
    uint64_t id_;
  };

 private:
  struct Wait {
    std::string what;
    std::function<bool()> finished;
    std::chrono::steady_clock::time_point since;
  };
  void watch();  // times the oldest wait; never runs a predicate
  void poll();   // runs the oldest wait's predicate; drops finished waits

  const double timeout_s_;
  const OnHang on_hang_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<uint64_t, Wait> waits_;  // by id: the oldest first
  uint64_t next_id_ = 1;
  std::string context_, record_path_;
  bool stopping_ = false;         // the watcher
  bool stopping_poller_ = false;  // the poller (stopped first)
  std::condition_variable wake_poller_;
  std::thread watcher_;  // last: started once the rest exists
  std::thread poller_;   // started by the first begin() with a predicate
};

}  // namespace ms
