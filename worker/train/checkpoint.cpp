// Checkpoint encoding (LibTorch archives) and the framed, atomic file format.
#include "worker/train/checkpoint.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "sweeps/metrics_json.h"
#include "worker/train/fnv1a.h"

namespace ms {

namespace {

constexpr char kMagic[8] = {'M', 'S', 'C', 'K', 'P', 'T', '0', '1'};
constexpr size_t kHeader = 8 + 8 + 8;  // magic, payload length, checksum

void write_all(int fd, const char* data, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(path + ": write failed (" + std::strerror(errno) + ")");
    }
    data += w;
    n -= size_t(w);
  }
}

void fsync_dir(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: the data itself is already fsynced
  ::fsync(fd);
  ::close(fd);
}

// The payload of one framed file, or an explanation of why it is unusable.
std::optional<std::string> read_framed(const std::string& path, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  const std::string bytes = s.str();
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    problem = path + ": not a metasweep checkpoint (bad header, " + std::to_string(bytes.size()) + " bytes)";
    return std::nullopt;
  }
  uint64_t length = 0, checksum = 0;
  std::memcpy(&length, bytes.data() + 8, 8);
  std::memcpy(&checksum, bytes.data() + 16, 8);
  if (bytes.size() - kHeader != length) {
    problem = path + ": truncated checkpoint (expected " + std::to_string(length) + " payload bytes, found " +
              std::to_string(bytes.size() - kHeader) + ")";
    return std::nullopt;
  }
  std::string payload = bytes.substr(kHeader);
  if (fnv1a64(payload) != checksum) {
    problem = path + ": corrupt checkpoint (checksum mismatch)";
    return std::nullopt;
  }
  return payload;
}

}  // namespace

std::string encode_checkpoint(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                              const CheckpointState& state) {
  torch::serialize::OutputArchive archive;
  for (const auto& p : model.named_parameters()) archive.write("p/" + p.key(), p.value().detach());
  for (const auto& b : model.named_buffers()) archive.write("b/" + b.key(), b.value(), /*is_buffer=*/true);
  torch::serialize::OutputArchive opt;
  optimizer.save(opt);
  archive.write("optimizer", opt);
  archive.write("epoch", torch::tensor(state.epoch, torch::kInt64));
  archive.write("metrics", c10::IValue(nlohmann::json(state.epochs).dump()));
  archive.write("job_key", c10::IValue(state.job_key));
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

CheckpointState decode_checkpoint(const std::string& bytes, torch::nn::Module& model,
                                  torch::optim::Optimizer& optimizer) {
  auto params = model.parameters();
  const torch::Device device = params.empty() ? torch::Device(torch::kCPU) : params.front().device();
  torch::serialize::InputArchive archive;
  archive.load_from(bytes.data(), bytes.size(), device);
  torch::NoGradGuard no_grad;
  auto restore = [&](const std::string& key, torch::Tensor target, bool is_buffer) {
    torch::Tensor loaded;
    if (!archive.try_read(key, loaded, is_buffer))
      throw std::runtime_error("checkpoint has no tensor '" + key + "': it was written for another model");
    if (loaded.sizes() != target.sizes())
      throw std::runtime_error("checkpoint tensor '" + key + "' has the wrong shape for this model");
    target.copy_(loaded);
  };
  // The optimizer state first: a checkpoint that does not fit it leaves the model untouched.
  torch::serialize::InputArchive opt;
  archive.read("optimizer", opt);
  try {
    optimizer.load(opt);
  } catch (const c10::Error& e) {
    throw std::runtime_error(std::string("checkpoint's optimizer state does not fit this optimizer (") +
                             e.what_without_backtrace() +
                             "): it was written for another parameter layout, e.g. by an older metasweep");
  }
  for (const auto& p : model.named_parameters()) restore("p/" + p.key(), p.value(), false);
  for (const auto& b : model.named_buffers()) restore("b/" + b.key(), b.value(), true);
  CheckpointState state;
  torch::Tensor epoch;
  archive.read("epoch", epoch);
  state.epoch = epoch.item<int64_t>();
  c10::IValue metrics, key;
  archive.read("metrics", metrics);
  archive.read("job_key", key);
  state.epochs = nlohmann::json::parse(metrics.toStringRef()).get<std::vector<EpochMetrics>>();
  state.job_key = key.toStringRef();
  return state;
}

void write_checkpoint_file(const std::string& path, const std::string& payload) {
  const std::string tmp = path + ".tmp", prev = path + ".prev";
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(tmp + ": cannot create checkpoint (" + std::strerror(errno) + ")");
  try {
    const uint64_t length = payload.size(), checksum = fnv1a64(payload);
    char header[kHeader];
    std::memcpy(header, kMagic, 8);
    std::memcpy(header + 8, &length, 8);
    std::memcpy(header + 16, &checksum, 8);
    write_all(fd, header, kHeader, tmp);
    write_all(fd, payload.data(), payload.size(), tmp);
    if (::fsync(fd) != 0) throw std::runtime_error(tmp + ": fsync failed (" + std::strerror(errno) + ")");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  // Keep the last good checkpoint as .prev only if the current one is intact.
  std::string problem;
  if (std::filesystem::exists(path) && read_framed(path, problem)) std::filesystem::rename(path, prev);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error(path + ": cannot rename checkpoint into place (" + std::strerror(errno) + ")");
  fsync_dir(path);
}

std::optional<std::string> read_checkpoint_file(const std::string& path, std::vector<std::string>* problems) {
  for (const std::string& candidate : {path, path + ".prev"}) {
    std::string problem;
    if (auto payload = read_framed(candidate, problem)) return payload;
    if (!problem.empty() && problems) problems->push_back(problem);
  }
  return std::nullopt;
}

}  // namespace ms
