// The collective watchdog: a wait that outlasts the timeout is reported once, with what waited
// and for which job; waits that end in time (by end(), or by their `finished` predicate, polled
// oldest first) are not. Also through WatchedCommunicator with two in-process ranks, one late.
#include "worker/dist/collective_watchdog.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "tests/worker/thread_communicator.h"
#include "worker/dist/watched_communicator.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

// Records the hangs a watchdog reports.
struct Hangs {
  std::mutex mutex;
  std::vector<Hang> seen;
  CollectiveWatchdog::OnHang recorder() {
    return [this](const Hang& h) {
      std::lock_guard<std::mutex> lock(mutex);
      seen.push_back(h);
    };
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex);
    return seen.size();
  }
  // Waits (up to 20 s, a bound only against a hung test) until one hang was reported.
  bool wait_for_one() {
    for (int i = 0; i < 2000 && count() == 0; ++i) std::this_thread::sleep_for(10ms);
    return count() > 0;
  }
};

TEST(CollectiveWatchdog, RefusesATimeoutOfZero) {
  EXPECT_THROW(CollectiveWatchdog(0, [](const Hang&) {}), std::invalid_argument);
}

TEST(CollectiveWatchdog, AWaitThatEndsInTimeIsNoHang) {
  Hangs hangs;
  {
    CollectiveWatchdog dog(1.0, hangs.recorder());
    for (int i = 0; i < 5; ++i) {
      CollectiveWatchdog::Scope scope(&dog, "all-reduce");
      std::this_thread::sleep_for(20ms);
    }
    std::this_thread::sleep_for(1500ms);  // past the timeout, with nothing waiting
  }
  EXPECT_EQ(hangs.count(), 0u);
}

TEST(CollectiveWatchdog, AWaitPastTheTimeoutIsReportedOnceWithItsJob) {
  Hangs hangs;
  CollectiveWatchdog dog(0.2, hangs.recorder());
  dog.set_context("job abc");
  const uint64_t first = dog.begin("all-reduce of 10 Float values");
  std::this_thread::sleep_for(50ms);
  const uint64_t second = dog.begin("barrier");
  ASSERT_TRUE(hangs.wait_for_one());
  std::this_thread::sleep_for(600ms);
  dog.end(first);
  dog.end(second);
  ASSERT_EQ(hangs.count(), 1u);                                    // once: the run ends there
  EXPECT_EQ(hangs.seen[0].what, "all-reduce of 10 Float values");  // the oldest wait
  EXPECT_EQ(hangs.seen[0].context, "job abc");
  EXPECT_GT(hangs.seen[0].waited_s, 0.2);
}

TEST(CollectiveWatchdog, DeviceWaitsEndWhenTheirPredicateSaysSoOldestFirst) {
  Hangs hangs;
  std::atomic<bool> first_done{false}, second_done{true};
  std::atomic<int> second_polls{0};
  {
    CollectiveWatchdog dog(4.0, hangs.recorder());  // polled every second
    dog.begin("first", [&] { return first_done.load(); });
    dog.begin("second", [&] {
      ++second_polls;
      return second_done.load();
    });
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(second_polls.load(), 0) << "a newer wait is polled only once the older ones finished";
    first_done = true;
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(second_polls.load(), 1) << "a finished wait is dropped";
  }
  EXPECT_EQ(hangs.count(), 0u);

  // A predicate that never comes true is a hang like a blocked call; so is one that blocks (as a
  // CUDA call may when the GPU hangs): the wait is timed by a thread that runs no predicate.
  for (const bool blocks : {false, true}) {
    Hangs stuck;
    std::atomic<bool> release{false};
    {
      CollectiveWatchdog dog(0.3, stuck.recorder());
      dog.begin("stuck on the GPU", [&] {
        while (blocks && !release) std::this_thread::sleep_for(10ms);
        return false;
      });
      ASSERT_TRUE(stuck.wait_for_one());
      release = true;
    }
    EXPECT_EQ(stuck.seen[0].what, "stuck on the GPU");
  }
}

// Two in-process ranks: rank 1 comes to the all-reduce late. Rank 0's watchdog reports its wait
// (here only recorded; a worker ends the run), and the collective still sums correctly.
TEST(CollectiveWatchdog, WatchedCommunicatorReportsAPartnerThatComesLate) {
  for (const bool late : {false, true}) {
    Hangs hangs;
    test::ThreadGroup group(2);
    CollectiveWatchdog dog(late ? 0.3 : 5.0, hangs.recorder());  // rank 1 is 1.5 s late, or not at all
    dog.set_context("job j1");
    torch::Tensor sums[2];
    std::thread other([&] {
      test::ThreadCommunicator comm(group, 1);
      if (late) std::this_thread::sleep_for(1500ms);
      sums[1] = torch::full({5}, 2.0f);
      comm.all_reduce_sum(sums[1]);
    });
    WatchedCommunicator watched(std::make_unique<test::ThreadCommunicator>(group, 0), &dog, torch::kCPU);
    EXPECT_FALSE(watched.asynchronous());
    sums[0] = torch::full({5}, 1.0f);
    watched.all_reduce_sum(sums[0]);
    other.join();
    EXPECT_TRUE(torch::equal(sums[0], torch::full({5}, 3.0f)));
    if (!late) {
      EXPECT_EQ(hangs.count(), 0u);
      continue;
    }
    ASSERT_EQ(hangs.count(), 1u);
    EXPECT_EQ(hangs.seen[0].what, "all-reduce of 5 Float values");
    EXPECT_EQ(hangs.seen[0].context, "job j1");
  }
}

}  // namespace
}  // namespace ms
