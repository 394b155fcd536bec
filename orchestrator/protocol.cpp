// JSON encoding of the coordinator/worker messages (see protocol.h).
#include "protocol.h"

#include <algorithm>
#include <cmath>

namespace ms {

using nlohmann::json;

namespace {
json to_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch},   {"train_loss", m.train_loss}, {"test_loss", m.test_loss},
          {"test_acc", m.test_acc}, {"test_seq_acc", m.test_seq_acc}, {"lr", m.lr},
          {"samples_per_s", m.samples_per_s}, {"wall_s", m.wall_s}};
}
EpochMetrics metrics_from(const json& j) {
  EpochMetrics m;
  m.epoch = j.at("epoch");
  m.train_loss = j.at("train_loss");
  m.test_loss = j.at("test_loss");
  m.test_acc = j.at("test_acc");
  m.test_seq_acc = j.at("test_seq_acc");
  m.lr = j.at("lr");
  m.samples_per_s = j.at("samples_per_s");
  m.wall_s = j.at("wall_s");
  return m;
}
// NaN/inf are not JSON: a diverged epoch carries them, so encode non-finite doubles as null.
json finite_or_null(json j) {
  for (auto& v : j)
    if (v.is_number_float() && !std::isfinite(v.get<double>())) v = nullptr;
  return j;
}
double number_or_nan(const json& v) { return v.is_null() ? std::nan("") : v.get<double>(); }
}  // namespace

std::string encode(const Assignment& a) {
  return json{{"job_id", a.job_id}, {"config", a.config}, {"seed", a.seed}, {"attempt", a.attempt},
              {"checkpoint_path", a.checkpoint_path}, {"timeout_s", a.timeout_s}}
      .dump();
}

Assignment decode_assignment(const std::string& text) {
  const json j = json::parse(text);
  Assignment a;
  a.job_id = j.at("job_id");
  a.config = j.at("config");
  a.seed = j.at("seed");
  a.attempt = j.at("attempt");
  a.checkpoint_path = j.at("checkpoint_path");
  a.timeout_s = j.at("timeout_s");
  return a;
}

std::string encode(const EpochReport& r) {
  return json{{"job_id", r.job_id}, {"metrics", finite_or_null(to_json(r.metrics))}}.dump();
}

EpochReport decode_epoch(const std::string& text) {
  json j = json::parse(text);
  for (auto& v : j.at("metrics"))
    if (v.is_null()) v = std::nan("");
  EpochReport r;
  r.job_id = j.at("job_id");
  json m = j.at("metrics");
  for (auto it = m.begin(); it != m.end(); ++it) it.value() = number_or_nan(it.value());
  r.metrics = metrics_from(m);
  return r;
}

std::string encode(const JobReport& r) {
  return json{{"job_id", r.job_id}, {"status", to_string(r.status)}, {"error", r.error},
              {"transient", r.transient}, {"wall_s", r.wall_s}}
      .dump();
}

JobReport decode_job_report(const std::string& text) {
  const json j = json::parse(text);
  JobReport r;
  r.job_id = j.at("job_id");
  r.status = job_status_from_string(j.at("status"));
  r.error = j.at("error");
  r.transient = j.at("transient");
  r.wall_s = j.at("wall_s");
  return r;
}

bool is_transient_error(const std::string& message) {
  std::string m = message;
  std::transform(m.begin(), m.end(), m.begin(), ::tolower);
  for (const char* needle : {"out of memory", "can't allocate memory", "cannot allocate memory", "cuda error",
                             "nccl", "cudnn", "resource temporarily unavailable"})
    if (m.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace ms
