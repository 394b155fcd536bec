// The watchdog's threads: each looks at the oldest wait a few times per timeout (see
// collective_watchdog.h).
#include "worker/dist/collective_watchdog.h"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ms {

CollectiveWatchdog::CollectiveWatchdog(double timeout_s, OnHang on_hang)
    : timeout_s_(timeout_s), on_hang_(std::move(on_hang)) {
  if (!(timeout_s > 0)) throw std::invalid_argument("CollectiveWatchdog: the timeout must be > 0");
  watcher_ = std::thread([this] { watch(); });
}

CollectiveWatchdog::~CollectiveWatchdog() {
  // The poller first, while the watcher still times the waits: a poll stuck in the driver (a GPU
  // that stopped) leaves its wait in place, and the watcher reports it instead of this join
  // waiting for ever unnoticed.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_poller_ = true;
  }
  wake_poller_.notify_all();
  if (poller_.joinable()) poller_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watcher_.join();
}

uint64_t CollectiveWatchdog::begin(std::string what, std::function<bool()> finished) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t id = next_id_++;
  // The poller first: when its thread cannot start (this throws), no wait is left unpolled.
  if (finished && !poller_.joinable()) poller_ = std::thread([this] { poll(); });
  waits_.emplace(id, Wait{std::move(what), std::move(finished), std::chrono::steady_clock::now()});
  return id;
}

void CollectiveWatchdog::end(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  waits_.erase(id);
}

uint64_t CollectiveWatchdog::begun() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_id_ - 1;
}

void CollectiveWatchdog::set_context(std::string context, std::string record_path) {
  std::lock_guard<std::mutex> lock(mutex_);
  context_ = std::move(context);
  record_path_ = std::move(record_path);
}

namespace {
// A hang is seen at most a quarter of the timeout (and a second) late.
std::chrono::duration<double> period_of(double timeout_s) {
  return std::chrono::duration<double>(std::min(1.0, timeout_s / 4));
}
}  // namespace

void CollectiveWatchdog::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto period = period_of(timeout_s_);
  auto last = std::chrono::steady_clock::now();
  for (;;) {
    if (wake_.wait_for(lock, period, [this] { return stopping_; })) return;
    // Woken far later than asked: the process was stopped (a suspended job, a paused machine).
    // The time it stood still is no one's wait: waits that ended meanwhile (a GPU event the
    // poller has not seen yet) must not be reported, so every wait's clock skips the gap.
    const auto now = std::chrono::steady_clock::now();
    const auto late = now - last - period;
    last = now;
    if (late > 4 * period)
      for (auto& [id, wait] : waits_)
        wait.since += std::chrono::duration_cast<std::chrono::steady_clock::duration>(late);
    if (waits_.empty()) continue;
    const Wait& oldest = waits_.begin()->second;
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - oldest.since).count();
    if (waited <= timeout_s_) continue;
    const Hang hang{oldest.what, context_, waited, record_path_};
    lock.unlock();
    on_hang_(hang);
    return;  // once
  }
}

void CollectiveWatchdog::poll() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (wake_poller_.wait_for(lock, period_of(timeout_s_), [this] { return stopping_poller_; })) return;
    // Waits the GPU finishes end in order: drop the finished ones from the front. Predicates run,
    // and finished ones are destroyed (an event's destruction is a CUDA call too), outside the
    // lock; only this thread erases waits that have one.
    std::vector<std::function<bool()>> dropped;
    while (!stopping_poller_ && !waits_.empty() && waits_.begin()->second.finished) {
      const uint64_t id = waits_.begin()->first;
      bool done = false;
      {
        std::function<bool()> finished = waits_.begin()->second.finished;
        lock.unlock();
        done = finished();
        finished = nullptr;
        lock.lock();
      }
      if (!done) break;
      const auto it = waits_.find(id);
      if (it == waits_.end()) continue;
      dropped.push_back(std::move(it->second.finished));
      waits_.erase(it);
    }
    lock.unlock();
    dropped.clear();
    lock.lock();
  }
}

}  // namespace ms
