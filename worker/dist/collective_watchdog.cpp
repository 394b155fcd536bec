// The watchdog's thread: polls the oldest wait a few times per timeout (see collective_watchdog.h).
#include "worker/dist/collective_watchdog.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace ms {

CollectiveWatchdog::CollectiveWatchdog(double timeout_s, OnHang on_hang)
    : timeout_s_(timeout_s), on_hang_(std::move(on_hang)) {
  if (!(timeout_s > 0)) throw std::invalid_argument("CollectiveWatchdog: the timeout must be > 0");
  thread_ = std::thread([this] { watch(); });
}

CollectiveWatchdog::~CollectiveWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

uint64_t CollectiveWatchdog::begin(std::string what, std::function<bool()> finished) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t id = next_id_++;
  waits_.emplace(id, Wait{std::move(what), std::move(finished), std::chrono::steady_clock::now()});
  return id;
}

void CollectiveWatchdog::end(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  waits_.erase(id);
}

void CollectiveWatchdog::set_context(std::string context) {
  std::lock_guard<std::mutex> lock(mutex_);
  context_ = std::move(context);
}

void CollectiveWatchdog::watch() {
  // A hang is seen at most a quarter of the timeout (and a second) late.
  const auto period = std::chrono::duration<double>(std::min(1.0, timeout_s_ / 4));
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, period);
    if (stopping_) return;
    // Waits the GPU finishes end in order: drop the finished ones from the front. The predicate
    // runs outside the lock (an event query may take a while); only this thread erases them.
    while (!waits_.empty() && waits_.begin()->second.finished) {
      const uint64_t id = waits_.begin()->first;
      std::function<bool()> finished = waits_.begin()->second.finished;
      lock.unlock();
      const bool done = finished();
      lock.lock();
      if (!done) break;
      waits_.erase(id);
    }
    if (stopping_) return;
    if (waits_.empty()) continue;
    const Wait& oldest = waits_.begin()->second;
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - oldest.since).count();
    if (waited <= timeout_s_) continue;
    const Hang hang{oldest.what, context_, waited};
    lock.unlock();
    on_hang_(hang);
    return;  // once
  }
}

}  // namespace ms
