// Run lock on the database file and on REAL.lock (see run_lock.h).
#include "results/store/run_lock.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>
#include <utility>

#include <sys/file.h>

#include "sweeps/errors.h"

namespace ms {

namespace {

// SQLite locks the bytes [2^30, 2^30 + 512) of a database file (PENDING_BYTE and what follows);
// this byte is clear of them, so the identity lock never meets SQLite's own locks, also where
// a network file system turns every lock into a byte-range lock.
constexpr off_t kIdentityByte = (off_t{1} << 30) + 4096;

std::string read_holder(int fd) {
  char buffer[64] = {};
  const ssize_t n = pread(fd, buffer, sizeof(buffer) - 1, 0);
  std::string pid = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

// The pid in a lock file that may not exist ("unknown" then).
std::string read_holder_at(const std::string& lock_path) {
  const int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "unknown";
  const std::string pid = read_holder(fd);
  ::close(fd);
  return pid;
}

// 0, or the errno of a failed attempt. An open file description lock belongs to this descriptor,
// not to the process: SQLite closing its own descriptors of the file never drops it.
int lock_identity(int fd) {
  struct flock byte {};
  byte.l_type = F_WRLCK;
  byte.l_whence = SEEK_SET;
  byte.l_start = kIdentityByte;
  byte.l_len = 1;
  return fcntl(fd, F_OFD_SETLK, &byte) == 0 ? 0 : errno;
}

}  // namespace

std::string RunLock::lock_file_for(const std::string& db_path) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(db_path, ec);
  if (ec) return db_path + ".lock";
  const std::filesystem::path real = std::filesystem::weakly_canonical(absolute, ec);
  return (ec ? absolute : real).string() + ".lock";
}

RunLock::RunLock(const std::string& db_path) {
  db_fd_ = ::open(db_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (db_fd_ < 0) throw std::runtime_error(db_path + ": cannot open the database file: " + std::strerror(errno));
  lock_path_ = lock_file_for(db_path);  // the file exists now: a dangling symlink resolves too
  const int identity = lock_identity(db_fd_);
  if (identity == EAGAIN || identity == EACCES) {
    release();
    throw UsageError("database " + db_path + " is in use by another metasweep run (pid " + read_holder_at(lock_path_) +
                     ")");
  }
  // EINVAL: a kernel without open file description locks (before Linux 3.15); ENOLCK: a file
  // system without byte-range locks. The lock file alone then guards the database.
  if (identity != 0 && identity != EINVAL && identity != ENOLCK) {
    release();
    throw std::runtime_error(db_path + ": cannot lock the database file: " + std::strerror(identity));
  }

  fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int error = errno;
    release();
    throw std::runtime_error(lock_path_ + ": cannot open lock file: " + std::strerror(error));
  }
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
    release();
    if (error == EWOULDBLOCK)
      throw UsageError("database " + db_path + " is in use by another metasweep run (pid " + holder + ")");
    throw std::runtime_error(lock_path_ + ": cannot lock: " + std::strerror(error));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    release();
    throw std::runtime_error(lock_path_ + ": cannot write lock file: " + std::strerror(error));
  }
}

std::optional<std::string> RunLock::live_holder(const std::string& db_path) {
  const std::string path = lock_file_for(db_path);
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

void RunLock::release() noexcept {
  // Closing a descriptor releases its lock. The database file's descriptor is closed after the
  // store's SQLite connection (ResultStore declares the lock first), so that closing it never
  // drops SQLite's own (per-process) locks on the file mid-transaction.
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  if (db_fd_ >= 0) ::close(std::exchange(db_fd_, -1));
}

RunLock::~RunLock() { release(); }

RunLock::RunLock(RunLock&& other) noexcept
    : db_fd_(std::exchange(other.db_fd_, -1)),
      fd_(std::exchange(other.fd_, -1)),
      lock_path_(std::move(other.lock_path_)) {}

}  // namespace ms
