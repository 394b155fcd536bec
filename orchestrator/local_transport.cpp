// Thread-safe queues behind the in-process transport (see local_transport.h).
#include "orchestrator/local_transport.h"

namespace ms {

void LocalChannel::push(Message m) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(m));
  }
  ready_.notify_one();
}

std::optional<Message> LocalChannel::try_pop() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (queue_.empty()) return std::nullopt;
  Message m = std::move(queue_.front());
  queue_.pop_front();
  return m;
}

Message LocalChannel::pop() {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait(lock, [&] { return !queue_.empty(); });
  Message m = std::move(queue_.front());
  queue_.pop_front();
  return m;
}

}  // namespace ms
