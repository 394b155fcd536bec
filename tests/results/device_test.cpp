// What trained a job, recorded beside its throughput (schema v8): per epoch, joined per job,
// in `results` (CSV, JSON, --where device=..., --group-by device), cleared by a reset, empty
// for an older database, and in the ablation table's note, which says when samples/s was
// measured on different devices.
#include <gtest/gtest.h>

#include "results/reports/ablation.h"
#include "results/reports/format.h"
#include "results/store/query.h"
#include "results/store/schema.h"
#include "results/store/sqlite_db.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

const char* kH200 = "1× NVIDIA H200";
const char* kEpyc = "1× AMD EPYC 7B13 (CPU, 2 threads)";

// The tiny sweep with every job done in 2 epochs: seed 2 on `kH200`, the others on `kEpyc`;
// baseline seed 0 trained its first epoch on `kH200` (a job resumed elsewhere).
std::vector<Job> fill_with_devices(const std::string& path) {
  const std::vector<Job> jobs = tiny_jobs();
  ResultStore store(path, OpenMode::Writer);
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  for (const Job& job : jobs) {
    store.job_started(job.id, "host-a");
    for (int64_t e = 1; e <= 2; ++e) {
      EpochMetrics m = tiny_epoch(0.8 + 0.01 * static_cast<double>(job.seed), e, job.seed);
      m.device = job.seed == 2 || (job.variant == "baseline" && job.seed == 0 && e == 1) ? kH200 : kEpyc;
      store.record_epoch(job.id, m);
    }
    store.job_finished(job.id, JobStatus::Done, "", 4.0);
  }
  return jobs;
}

TEST(ThroughputDevice, IsRecordedPerEpochAndJoinedPerJob) {
  TempDir dir;
  const std::string path = dir.file("d.db");
  const std::vector<Job> jobs = fill_with_devices(path);
  ResultStore store(path, OpenMode::ReadOnly);
  ResultQuery q;
  std::map<std::string, std::string> device_of;
  for (const JobRow& r : select_jobs(store, q)) device_of[r.id] = r.device;
  EXPECT_EQ(device_of.at(jobs[0].id), std::string(kEpyc) + " + " + kH200);  // baseline seed 0: both, sorted
  EXPECT_EQ(device_of.at(jobs[1].id), kEpyc);
  EXPECT_EQ(device_of.at(jobs[2].id), kH200);

  q.where = {parse_where(std::string("device=") + kH200)};
  const std::vector<JobRow> on_h200 = select_jobs(store, q);
  EXPECT_EQ(on_h200.size(), jobs.size() / 3);  // every seed 2
  for (const JobRow& r : on_h200) EXPECT_EQ(r.seed, 2);

  q.where.clear();
  const std::vector<JobRow> rows = select_jobs(store, q);
  const std::string csv = format_jobs(rows, OutputFormat::Csv);
  EXPECT_NE(csv.find(",device"), std::string::npos) << csv.substr(0, 400);
  EXPECT_NE(csv.find(std::string(",") + kH200), std::string::npos);
  const auto parsed = nlohmann::json::parse(format_jobs(rows, OutputFormat::Json));
  EXPECT_EQ(parsed.at(1).at("device"), kEpyc);
  // --group-by section,variant,device (what the ablation note suggests) parses
  EXPECT_EQ(parse_group_keys("section,variant,device", known_config_keys(store)),
            (std::vector<std::string>{"section", "variant", "device"}));
  const auto groups = group_jobs(rows, parse_group_keys("device", known_config_keys(store)));
  ASSERT_EQ(groups.size(), 3u);  // the two devices and the job trained on both

  // A reset (forget --job, --fresh) forgets what trained it with its results.
  {
    ResultStore writer(path, OpenMode::Writer);
    writer.reset_jobs({jobs[2].id});
  }
  ResultStore again(path, OpenMode::ReadOnly);
  q.where = {parse_where("id=" + jobs[2].id)};
  ASSERT_EQ(select_jobs(again, q).size(), 1u);
  EXPECT_EQ(select_jobs(again, q).front().device, "");
}

TEST(ThroughputDevice, TheAblationNoteSaysWhatMeasuredSamplesPerSecond) {
  TempDir dir;
  {
    const std::string path = dir.file("one.db");
    const std::vector<Job> jobs = tiny_jobs();
    ResultStore store(path, OpenMode::Writer);
    store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
    for (const Job& job : jobs) {
      store.job_started(job.id, "host-a");
      EpochMetrics m = tiny_epoch(0.8, 1, job.seed);
      m.device = kH200;
      store.record_epoch(job.id, m);
      store.job_finished(job.id, JobStatus::Done, "", 4.0);
    }
    const std::string md = ablation_markdown(build_ablation(store, "tiny"));
    EXPECT_NE(md.find(" samples/s: training examples per second on 1× NVIDIA H200."), std::string::npos) << md;
  }
  const std::string path = dir.file("mixed.db");
  fill_with_devices(path);
  const ResultStore store(path, OpenMode::ReadOnly);
  const AblationTable t = build_ablation(store, "tiny");
  const std::string said =
      " samples/s was measured on 2 different devices (done jobs: 11 on 1× AMD EPYC 7B13 (CPU, 2 threads); 6 on 1× "
      "NVIDIA H200; 1 on 1× AMD EPYC 7B13 (CPU, 2 threads) + 1× NVIDIA H200): compare it only within one "
      "(`metasweep results --group-by section,variant,device`).";
  const std::string md = ablation_markdown(t);
  EXPECT_NE(md.find(said), std::string::npos) << md;
  EXPECT_NE(ablation_html(t).find(html_escape(said)), std::string::npos);
  EXPECT_NE(ablation_latex(t).find(latex_escape(said)), std::string::npos);
}

// A name with characters special to Markdown, HTML or LaTeX (a database edited by hand) is shown
// with them as '?'.
TEST(ThroughputDevice, ANameIsShownOnlyInCharactersSafeInEveryFormat) {
  TempDir dir;
  const std::string path = dir.file("odd.db");
  const std::vector<Job> jobs = tiny_jobs();
  ResultStore store(path, OpenMode::Writer);
  store.register_sweep(tiny_spec(), kTinySweep, jobs, false);
  store.job_started(jobs[0].id, "host-a");
  EpochMetrics m = tiny_epoch(0.8, 1, 0);
  m.device = "1× <b>GPU</b> *x* [a](b) `c` $d$ \\e_f";
  store.record_epoch(jobs[0].id, m);
  store.job_finished(jobs[0].id, JobStatus::Done, "", 4.0);
  const std::string md = ablation_markdown(build_ablation(store, "tiny"));
  EXPECT_NE(md.find("training examples per second on 1× ?b?GPU??b? ?x? ?a?(b) ?c? ?d? ?e?f."), std::string::npos) << md;
}

// A database of schema 7 has no device: read as not recorded (no note), and upgraded by a writer.
TEST(ThroughputDevice, AnOlderDatabaseHasNoneAndIsUpgraded) {
  TempDir dir;
  const std::string path = dir.file("v7.db");
  fill_tiny_db(path);
  {
    Database db(path, Database::Access::ReadWrite);
    db.exec(std::string(kUndoSchemaV8) + "PRAGMA user_version = 7");
  }
  {
    const ResultStore reader(path, OpenMode::ReadOnly);
    EXPECT_EQ(schema_version(reader.db()), 7);
    for (const JobRow& r : select_jobs(reader, ResultQuery{})) EXPECT_EQ(r.device, "");
    EXPECT_EQ(ablation_markdown(build_ablation(reader, "tiny")).find("samples/s was"), std::string::npos);
    EXPECT_EQ(ablation_markdown(build_ablation(reader, "tiny")).find("samples/s:"), std::string::npos);
  }
  ResultStore writer(path, OpenMode::Writer);
  EXPECT_EQ(schema_version(writer.db()), kSchemaVersion);
  const std::vector<Job> jobs = tiny_jobs();
  EpochMetrics m = tiny_epoch(0.8, 4, 0);
  m.device = kEpyc;
  writer.record_epoch(jobs[0].id, m);
  ResultQuery q;
  q.where = {parse_where("id=" + jobs[0].id)};
  // The epochs before were not recorded: the job says so beside the device it now trains on, and
  // the note counts one device and the jobs without a record.
  EXPECT_EQ(select_jobs(writer, q).front().device, std::string(kEpyc) + " + not recorded");
  EXPECT_NE(ablation_markdown(build_ablation(writer, "tiny"))
                .find(" samples/s was measured on one device and devices not recorded (done jobs: 1 on 1× AMD EPYC "
                      "7B13 (CPU, 2 threads) + not recorded; 14 done job(s) an older metasweep trained did not record "
                      "theirs): compare it only within one"),
            std::string::npos)
      << ablation_markdown(build_ablation(writer, "tiny"));
}

}  // namespace
}  // namespace ms::test
