// A fixed set of threads that run the iterations of one loop at a time (decoding the images of a
// batch). The calling thread works too, so a pool of N threads decodes on N + 1; N = 0 runs the
// loop inline. Iterations must not throw: capture failures per item (image_stream.cpp does).
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ms {

class ParallelFor {
 public:
  explicit ParallelFor(int threads);
  ~ParallelFor();  // joins the threads
  ParallelFor(const ParallelFor&) = delete;
  ParallelFor& operator=(const ParallelFor&) = delete;

  // Runs body(i) for i in [0, n), returns when every iteration has finished. Not re-entrant:
  // one loop at a time (calls from several threads are serialised).
  void run(int64_t n, const std::function<void(int64_t)>& body);
  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  void work();
  void drain();  // runs iterations of the current loop until none is left

  std::mutex run_mutex_;  // one loop at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t)>* body_ = nullptr;
  int64_t n_ = 0, next_ = 0, finished_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ms
