// The exclusive run lock of a results database: one `metasweep run` at a time may write a
// given file. An flock on "DB.lock" (released by the kernel even when the holder is killed)
// holds the writer's pid so that a refused second run can say who holds it, and tells `status`
// whether the jobs it sees as running belong to a live run.
#pragma once
#include <optional>
#include <string>

namespace ms {

class RunLock {
 public:
  // Throws ms::UsageError("database X is in use by another metasweep run (pid N)") when held.
  explicit RunLock(const std::string& db_path);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::string& lock_path() const { return lock_path_; }

  // For readers (`status`): the pid text of the live run holding the database's lock, or nothing
  // when no run holds it (a run that was killed holds nothing: the kernel dropped its flock).
  // Creates nothing; probes with a shared flock released at once (a run starting at that instant
  // retries briefly, see the constructor).
  static std::optional<std::string> live_holder(const std::string& db_path);

 private:
  int fd_ = -1;
  std::string lock_path_;
};

}  // namespace ms
