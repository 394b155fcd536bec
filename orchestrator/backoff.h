// Sleeping back-off for polling loops: starts at 1 ms after activity, doubles up to a cap.
// Rank 0 and idle workers poll MPI with it instead of spinning in a blocking receive.
#pragma once
#include <algorithm>
#include <chrono>
#include <thread>

namespace ms {

class Backoff {
 public:
  explicit Backoff(int max_ms = 50) : max_us_(max_ms * 1000) {}
  void reset() { us_ = 1000; }
  void wait() {
    std::this_thread::sleep_for(std::chrono::microseconds(us_));
    us_ = std::min(us_ * 2, max_us_);
  }

 private:
  int us_ = 1000;
  int max_us_;
};

}  // namespace ms
