// The exclusive run lock of a results database: one `metasweep run` at a time may write a given
// database file, however its path is spelled (a symlink, another relative path). Two locks, both
// released by the kernel even when the holder is killed:
//   - an open-file-description lock on one byte of the database file itself, far from the bytes
//     SQLite locks: the file's identity, which no path spelling and no deleted lock file escapes;
//   - an flock on "REAL.lock" beside the database's real path (symlinks resolved), which holds
//     the writer's pid so that a refused second run can say who holds it, and tells `status` and
//     `stop` whether a live run writes the database (they probe it without opening the database).
#pragma once
#include <optional>
#include <string>

namespace ms {

class RunLock {
 public:
  // Creates the database file when missing (empty: SQLite makes it a new database). Throws
  // ms::UsageError("database X is in use by another metasweep run (pid N)") when held.
  explicit RunLock(const std::string& db_path);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::string& lock_path() const { return lock_path_; }

  // The lock file of a database: its real path (absolute, symlinks resolved as far as the file
  // exists) with ".lock" appended.
  static std::string lock_file_for(const std::string& db_path);

  // For readers (`status`): the pid text of the live run holding the database's lock, or nothing
  // when no run holds it (a run that was killed holds nothing: the kernel dropped its flock).
  // Creates nothing; probes with a shared flock released at once (a run starting at that instant
  // retries briefly, see the constructor).
  static std::optional<std::string> live_holder(const std::string& db_path);

 private:
  void release() noexcept;
  int db_fd_ = -1;  // the database file, holding the identity lock
  int fd_ = -1;     // the lock file, holding the flock and the pid
  std::string lock_path_;
};

}  // namespace ms
