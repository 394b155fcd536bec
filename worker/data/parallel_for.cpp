// The loop pool (see parallel_for.h).
#include "worker/data/parallel_for.h"

namespace ms {

ParallelFor::ParallelFor(int threads) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

ParallelFor::~ParallelFor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ParallelFor::drain() {
  for (;;) {
    int64_t i;
    const std::function<void(int64_t)>* body;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!body_ || next_ >= n_) return;
      i = next_++;
      body = body_;
    }
    (*body)(i);
    std::lock_guard<std::mutex> lock(mutex_);
    if (++finished_ == n_) done_.notify_all();
  }
}

void ParallelFor::work() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    drain();
  }
}

void ParallelFor::run(int64_t n, const std::function<void(int64_t)>& body) {
  if (n <= 0) return;
  std::lock_guard<std::mutex> one_loop(run_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body, n_ = n, next_ = 0, finished_ = 0;
    ++generation_;
  }
  wake_.notify_all();
  drain();
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return finished_ == n_; });
  body_ = nullptr;
}

}  // namespace ms
