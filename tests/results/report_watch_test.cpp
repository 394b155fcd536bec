// `report --watch`: while a job of the sweep runs the page reloads itself and the report follows
// the database; once nothing is pending or running the final report no longer reloads. The
// waiting is injected: the test finishes the running job "during the sleep", so nothing depends
// on time.
#include "results/reports/report_watch.h"

#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

const char* kRefresh = "<meta http-equiv=\"refresh\" content=\"5\">";

TEST(ReportWatch, FollowsTheSweepUntilNothingRunsThenStopsReloading) {
  TempDir dir;
  const std::vector<Job> jobs = fill_tiny_db(dir.file("r.db"));  // batchnorm seed 2 is running
  const std::string html = dir.file("out/report.html");
  std::ostringstream log;
  std::vector<std::string> pages;
  WatchOptions w;
  w.interval_s = 5;
  w.log = &log;
  w.run_alive = [] { return true; };
  w.sleep = [&](double seconds) {
    EXPECT_EQ(seconds, 5);
    pages.push_back(read_file(html));
    ResultStore writer(dir.file("r.db"), OpenMode::Writer);  // the run goes on meanwhile
    for (const Job& job : jobs)
      if (job.variant == "model.norm=batchnorm" && job.seed == 2) {
        writer.record_epoch(job.id, tiny_epoch(0.77, 3, job.seed));
        writer.job_finished(job.id, JobStatus::Done, "", 6.0);
      }
  };
  EXPECT_EQ(watch_report(dir.file("r.db"), "tiny", dir.file("out"), w), 2);
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_NE(pages[0].find(kRefresh), std::string::npos);
  EXPECT_NE(pages[0].find("1 running"), std::string::npos);
  const std::string last = read_file(html);
  EXPECT_EQ(last.find("http-equiv=\"refresh\""), std::string::npos) << "the final page must not reload";
  EXPECT_EQ(last.find("1 running"), std::string::npos);
  EXPECT_NE(last.find("2 done, 1 failed"), std::string::npos);  // batchnorm now: seeds 1 and 2 done
  std::istringstream lines(log.str());
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_NE(first.find("1 running"), std::string::npos) << first;
  EXPECT_NE(first.find("next update in 5 s"), std::string::npos) << first;
  EXPECT_NE(second.find("final report"), std::string::npos) << second;
}

// A run that was stopped or died leaves jobs pending: the watch ends after two rounds without a
// run writing the database (one round's grace for a run that is being restarted), logging each
// change once.
TEST(ReportWatch, EndsWhenNoRunWritesTheDatabase) {
  TempDir dir;
  fill_tiny_db(dir.file("r.db"));  // batchnorm seed 2 "running", but no run holds the lock
  std::ostringstream log;
  WatchOptions w;
  w.interval_s = 5;
  w.log = &log;
  int sleeps = 0;
  w.sleep = [&](double) { ++sleeps; };  // the default run_alive: the database's real run lock
  EXPECT_EQ(watch_report(dir.file("r.db"), "tiny", dir.file("out"), w), 2);
  EXPECT_EQ(sleeps, 1);
  EXPECT_EQ(read_file(dir.file("out/report.html")).find("http-equiv=\"refresh\""), std::string::npos);
  EXPECT_NE(log.str().find("final report (no run is writing"), std::string::npos) << log.str();

  // With a run alive the watch goes on, logs a round only when the counts changed, and rewrites
  // the report only when what it is made of changed: here the first round and the final one,
  // then, once an epoch is recorded, one more.
  std::ostringstream quiet;
  w.log = &quiet;
  sleeps = 0;
  w.run_alive = [] { return true; };
  w.stop = [&] { return sleeps >= 3; };
  EXPECT_EQ(watch_report(dir.file("r.db"), "tiny", dir.file("out"), w), 2);
  const std::string lines = quiet.str();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2) << lines;  // the first round and the final one
  sleeps = 0;
  w.sleep = [&](double) {
    if (++sleeps != 1) return;
    ResultStore writer(dir.file("r.db"), OpenMode::Writer);
    const std::vector<Job> jobs = tiny_jobs();
    writer.record_epoch(jobs.back().id, tiny_epoch(0.9, 2, 2));  // batchnorm seed 2's next epoch
  };
  EXPECT_EQ(watch_report(dir.file("r.db"), "tiny", dir.file("out"), w), 3);
}

TEST(ReportWatch, StoppingWritesTheFinalReport) {
  TempDir dir;
  fill_tiny_db(dir.file("r.db"));  // a job is running, but Ctrl-C came: one final report, no reloading
  std::ostringstream log;
  WatchOptions w;
  w.interval_s = 5;
  w.log = &log;
  w.stop = [] { return true; };
  w.sleep = [](double) { ADD_FAILURE() << "no waiting once stopped"; };
  EXPECT_EQ(watch_report(dir.file("r.db"), "tiny", dir.file("out"), w), 1);
  EXPECT_EQ(read_file(dir.file("out/report.html")).find("http-equiv=\"refresh\""), std::string::npos);
  EXPECT_NE(log.str().find("final report"), std::string::npos);
}

}  // namespace
}  // namespace ms::test
