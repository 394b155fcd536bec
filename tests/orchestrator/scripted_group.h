// Scripted worker groups for coordinator tests without MPI or training: OneGroupLink, a group that
// answers from a queue, and ScriptedGroup, whose each assignment is
// answered with the next outcome of its seed's script, as a real group would report it.
#pragma once
#include <csignal>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "orchestrator/coordinator.h"
#include "orchestrator/protocol.h"
#include "orchestrator/transport.h"
#include "sweeps/errors.h"
#include "worker/train/job_error.h"

namespace ms::test {

// One worker group answering from a queue: send() (the subclass) queues its replies for an
// assignment, poll() hands them out in order.
class OneGroupLink : public CoordinatorLink {
 public:
  explicit OneGroupLink(std::string name) : name_(std::move(name)) {}
  int num_groups() const override { return 1; }
  std::string group_name(int) const override { return name_; }
  std::optional<Message> poll() override {
    if (replies_.empty()) return std::nullopt;
    Message m = replies_.front();
    replies_.pop_front();
    return m;
  }

 protected:
  void reply(MessageKind kind, const std::string& payload) { replies_.push_back({kind, 0, payload}); }

 private:
  std::string name_;
  std::deque<Message> replies_;
};

// One worker group whose answers are scripted per seed: a list of outcomes, one per attempt
// (the last one repeats). "done" and "diverged" end the job; "transient: MESSAGE" fails it with a
// TransientError; "interrupted" answers nothing and raises g_stop_signal, as SIGTERM or `metasweep
// stop` does mid-job; anything else fails it with a std::runtime_error of that message.
class ScriptedGroup : public OneGroupLink {
 public:
  explicit ScriptedGroup(std::map<int64_t, std::vector<std::string>> script)
      : OneGroupLink("scripted"), script_(std::move(script)) {}
  void send(int, MessageKind kind, const std::string& payload) override {
    if (kind != MessageKind::Assign) return;
    const Assignment a = decode_assignment(payload);
    auto& outcomes = script_[a.seed];
    const std::string outcome = outcomes.empty() ? "done" : outcomes.front();
    if (outcomes.size() > 1) outcomes.erase(outcomes.begin());
    ++assignments_[a.seed];
    if (outcome == "interrupted") {
      g_stop_signal.store(SIGTERM);
      return;
    }
    JobReport r;
    r.job_id = a.job_id;
    if (outcome == "done" || outcome == "diverged") {
      EpochReport e;
      e.job_id = a.job_id;
      e.metrics.epoch = 1;
      e.metrics.test_acc = 0.5;
      reply(MessageKind::Epoch, encode(e));
      r.status = outcome == "done" ? JobStatus::Done : JobStatus::Diverged;
      r.error = outcome == "done" ? "" : "loss became nan in epoch 1";
    } else {  // thrown and classified as the worker loop does: by the exception's type
      const std::string transient = "transient: ";
      const bool is_transient = outcome.rfind(transient, 0) == 0;
      const JobError e =
          classify_job_error(is_transient ? std::make_exception_ptr(TransientError(outcome.substr(transient.size())))
                                          : std::make_exception_ptr(std::runtime_error(outcome)));
      r.status = JobStatus::Failed;
      r.error = e.message;
      r.transient = e.transient;
    }
    reply(MessageKind::Finished, encode(r));
  }
  int assignments(int64_t seed) const { return assignments_.count(seed) ? assignments_.at(seed) : 0; }

 private:
  std::map<int64_t, std::vector<std::string>> script_;
  std::map<int64_t, int> assignments_;
};

}  // namespace ms::test
