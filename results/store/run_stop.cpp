// Stopping the writer of a database (see run_stop.h).
#include "results/store/run_stop.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include <sys/file.h>

#include "results/store/run_lock.h"
#include "sweeps/errors.h"

namespace ms {

namespace {

std::string command_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  for (char& c : text)
    if (c == '\0') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

std::optional<RunHolder> run_holder(const std::string& db_path) {
  const std::string lock = RunLock::lock_file_for(db_path);  // the real path's, as the run took it
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // never written by a run
  std::optional<RunHolder> holder;
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);  // nobody holds it
  } else if (errno == EWOULDBLOCK) {
    char buffer[64] = {};
    const ssize_t n = pread(fd, buffer, sizeof(buffer) - 1, 0);
    RunHolder h;
    h.pid = n > 0 ? std::atoi(buffer) : 0;
    h.command = h.pid > 0 ? command_of(h.pid) : "";
    holder = h;
  } else {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error(lock + ": cannot check the lock: " + std::strerror(error));
  }
  ::close(fd);
  return holder;
}

void stop_run(const RunHolder& holder) {
  const std::string program = holder.command.substr(0, holder.command.find(' '));
  const std::string name = program.substr(program.rfind('/') == std::string::npos ? 0 : program.rfind('/') + 1);
  if (holder.pid <= 0 || name != "metasweep")  // never signal a process that is not the metasweep binary
    throw UsageError("the run holding the database (pid " + std::to_string(holder.pid) +
                     ") is not a metasweep process on this host: stop it where it runs (Ctrl-C, scancel)");
  if (::kill(holder.pid, SIGTERM) != 0)
    throw std::runtime_error("cannot signal pid " + std::to_string(holder.pid) + ": " + std::strerror(errno));
}

}  // namespace ms
