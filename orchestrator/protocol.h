// The messages between the coordinator (rank 0) and the leaders of worker groups, as JSON
// text so that the protocol is readable in logs and independent of struct layout.
//   coordinator -> leader: Assignment (a job to train) or Stop
//   leader -> coordinator: EpochReport after each epoch, JobReport when the job ends
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "sweeps/metrics.h"

namespace ms {

enum class MessageKind : int { Assign = 1, Stop = 2, Epoch = 3, Finished = 4 };

struct Assignment {
  std::string job_id;
  nlohmann::json config;
  int64_t seed = 0;
  int attempt = 1;
  std::string checkpoint_path;   // empty: no checkpoints
  double timeout_s = 0;          // 0: no limit
  bool cuda_graphs_off = false;  // its config failed a CUDA graph capture: train eagerly
};

struct EpochReport {
  std::string job_id;
  EpochMetrics metrics;
  bool replayed = false;  // restored from the job's checkpoint and re-sent, not trained by this attempt
};

struct JobReport {
  std::string job_id;
  JobStatus status = JobStatus::Failed;  // Done, Diverged or Failed
  std::string error;                     // for Failed/Diverged
  bool transient = false;                // worth retrying: decided by the failure's type (worker/train/job_error.h)
  bool device_lost = false;              // the group's GPU or communicator is unusable: it took its last job
  bool capture_failed = false;           // the CUDA graph capture failed (device_lost too)
  std::string device;                    // what the group trained it on (device_description)
  double wall_s = 0;
};

struct Message {
  MessageKind kind;
  int group = 0;        // which worker group it came from / goes to
  std::string payload;  // JSON text
};

std::string encode(const Assignment& a);
std::string encode(const EpochReport& r);
std::string encode(const JobReport& r);
Assignment decode_assignment(const std::string& text);
EpochReport decode_epoch(const std::string& text);
JobReport decode_job_report(const std::string& text);

}  // namespace ms
