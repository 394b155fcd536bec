// Run lock on DB.lock with flock (see run_lock.h).
#include "results/store/run_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>
#include <utility>

#include <sys/file.h>

#include "sweeps/errors.h"

namespace ms {

namespace {

std::string read_holder(int fd) {
  char buffer[64] = {};
  const ssize_t n = pread(fd, buffer, sizeof(buffer) - 1, 0);
  std::string pid = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

RunLock::RunLock(const std::string& db_path) : lock_path_(db_path + ".lock") {
  fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(lock_path_ + ": cannot open lock file: " + std::strerror(errno));
  // A reader's probe (live_holder) holds a shared lock for microseconds: try a few times
  // before calling the database busy.
  int rc = flock(fd_, LOCK_EX | LOCK_NB);
  for (int attempt = 0; rc != 0 && errno == EWOULDBLOCK && attempt < 20; ++attempt) {
    usleep(10000);
    rc = flock(fd_, LOCK_EX | LOCK_NB);
  }
  if (rc != 0) {
    const int error = errno;
    const std::string holder = read_holder(fd_);
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK)
      throw UsageError("database " + db_path + " is in use by another metasweep run (pid " + holder + ")");
    throw std::runtime_error(lock_path_ + ": cannot lock: " + std::strerror(error));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(lock_path_ + ": cannot write lock file: " + std::strerror(errno));
  }
}

std::optional<std::string> RunLock::live_holder(const std::string& db_path) {
  const std::string path = db_path + ".lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // never locked here: no run
  std::optional<std::string> holder;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) holder = read_holder(fd);
  } else {
    flock(fd, LOCK_UN);
  }
  ::close(fd);
  return holder;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

RunLock::RunLock(RunLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), lock_path_(std::move(other.lock_path_)) {}

}  // namespace ms
