// SIGINT/SIGTERM/SIGPIPE during `train --db` (see interrupt_guard.h).
#include "results/store/interrupt_guard.h"

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

#include "results/store/sqlite_db.h"
#include "results/store/store.h"

namespace ms {

namespace {

int g_write_end = -1;
struct sigaction g_old_int, g_old_term, g_old_pipe;

void on_signal(int sig) {
  const char byte = static_cast<char>(sig);
  if (g_write_end >= 0) (void)!write(g_write_end, &byte, 1);
}

}  // namespace

InterruptGuard::InterruptGuard(std::string db_path, std::string job_id)
    : db_path_(std::move(db_path)), job_id_(std::move(job_id)) {
  if (pipe2(pipe_, O_CLOEXEC) != 0) throw std::runtime_error("cannot create the interrupt pipe");
  g_write_end = pipe_[1];
  watcher_ = std::thread([this] { watch(); });
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &g_old_int);
  sigaction(SIGTERM, &action, &g_old_term);
  sigaction(SIGPIPE, &action, &g_old_pipe);  // `train ... | head`: the reader of its output left
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  sigaction(SIGPIPE, &g_old_pipe, nullptr);
  g_write_end = -1;
  const char quit = 0;
  (void)!write(pipe_[1], &quit, 1);
  if (watcher_.joinable()) watcher_.join();
  ::close(pipe_[0]);
  ::close(pipe_[1]);
}

void InterruptGuard::watch() {
  char byte = 0;
  while (read(pipe_[0], &byte, 1) < 0) {
  }
  if (byte == 0) return;  // the guard ends normally
  try {
    Database db(db_path_, Database::Access::ReadWrite);
    Transaction tx(db);
    Statement s(db, "UPDATE jobs SET status = 'pending' WHERE id = ? AND status = 'running'");
    s.bind(1, job_id_).run();
    Statement attempt(db,
                      "UPDATE job_attempts SET outcome = 'interrupted', ended_at = MAX(?2, started_at) WHERE job_id = "
                      "?1 AND outcome = 'running'");
    attempt.bind(1, job_id_).bind(2, unix_now()).run();
    tx.commit();
    std::fprintf(stderr, "\ninterrupted: job %s recorded as pending; run the same command to resume it\n",
                 job_id_.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "\ninterrupted: could not record job %s as pending: %s\n", job_id_.c_str(), e.what());
  }
  std::fflush(stderr);
  std::_Exit(128 + byte);
}

}  // namespace ms
