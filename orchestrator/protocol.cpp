// JSON encoding of the coordinator/worker messages (see protocol.h).
#include "orchestrator/protocol.h"

#include <algorithm>
#include <cmath>

#include "sweeps/metrics_json.h"

namespace ms {

using nlohmann::json;

namespace {
// NaN/inf are not JSON: a diverged epoch carries them, so encode non-finite doubles as null.
json finite_or_null(json j) {
  for (auto& v : j)
    if (v.is_number_float() && !std::isfinite(v.get<double>())) v = nullptr;
  return j;
}
}  // namespace

std::string encode(const Assignment& a) {
  return json{{"job_id", a.job_id},
              {"config", a.config},
              {"seed", a.seed},
              {"attempt", a.attempt},
              {"checkpoint_path", a.checkpoint_path},
              {"timeout_s", a.timeout_s},
              {"cuda_graphs_off", a.cuda_graphs_off}}
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
  a.cuda_graphs_off = j.at("cuda_graphs_off");
  return a;
}

std::string encode(const EpochReport& r) {
  return json{{"job_id", r.job_id}, {"metrics", finite_or_null(json(r.metrics))}, {"replayed", r.replayed}}.dump();
}

EpochReport decode_epoch(const std::string& text) {
  json j = json::parse(text);
  json& m = j.at("metrics");
  for (auto& v : m)
    if (v.is_null()) v = std::nan("");  // back from finite_or_null
  EpochReport r;
  r.job_id = j.at("job_id");
  r.metrics = m.get<EpochMetrics>();
  r.replayed = j.at("replayed");
  return r;
}

std::string encode(const JobReport& r) {
  return json{{"job_id", r.job_id},
              {"status", to_string(r.status)},
              {"error", r.error},
              {"transient", r.transient},
              {"device_lost", r.device_lost},
              {"capture_failed", r.capture_failed},
              {"wall_s", r.wall_s},
              {"device", r.device}}
      .dump();
}

JobReport decode_job_report(const std::string& text) {
  const json j = json::parse(text);
  JobReport r;
  r.job_id = j.at("job_id");
  r.status = job_status_from_string(j.at("status"));
  r.error = j.at("error");
  r.transient = j.at("transient");
  r.device_lost = j.at("device_lost");
  r.capture_failed = j.at("capture_failed");
  r.wall_s = j.at("wall_s");
  r.device = j.at("device");
  return r;
}

}  // namespace ms
