// ResultStore: writer API for the coordinator and basic readers (see store.h). Every value
// reaches SQL as a bound parameter.
#include "results/store/store.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "results/store/schema.h"
#include "sweeps/errors.h"
#include "sweeps/names.h"
#include "sweeps/resolve.h"
#include "sweeps/version.h"

namespace ms {

using nlohmann::json;

double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::optional<double> file_mtime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<double>(st.st_mtim.tv_sec) + 1e-9 * static_cast<double>(st.st_mtim.tv_nsec);
}

namespace {

// A writer needs the file (when it exists) and its folder writable: SQLite keeps the -wal and
// -shm files beside the database, and the run lock is DB.lock. Checked before anything is
// created, so that a read-only database gives one clear message and stays untouched.
std::string checked_path(const std::string& path) {
  const std::string problem = database_path_problem(path);
  if (!problem.empty()) throw UsageError(problem);
  return path;
}

std::string writable_path(const std::string& path) {
  checked_path(path);
  const std::filesystem::path p(path);
  const std::string folder = p.has_parent_path() ? p.parent_path().string() : ".";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw UsageError("--db " + path + " is a directory, not a database file");
  if (!std::filesystem::exists(folder, ec))
    throw UsageError("--db " + path + ": the folder " + folder + " does not exist (create it first)");
  if (::access(path.c_str(), F_OK) == 0 && ::access(path.c_str(), W_OK) != 0)
    throw std::runtime_error("database " + path + " is read-only (" + std::strerror(errno) +
                             "): cannot record results in it");
  if (::access(folder.c_str(), W_OK) != 0)
    throw std::runtime_error("database " + path + ": its folder " + folder + " is not writable (" +
                             std::strerror(errno) + "): cannot record results there");
  check_writable_database_file(path);  // a foreign SQLite file stays byte-identical (no lock file either)
  return path;
}

Database open_database(const std::string& path, OpenMode mode) {
  if (mode == OpenMode::ReadOnly) {
    if (!std::filesystem::exists(path)) throw UsageError(path + ": no such database");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
      throw UsageError("--db " + path + " is a directory, not a database file");
    Database db(path, Database::Access::ReadOnly);
    check_schema_readable(db);
    return db;
  }
  Database db(path, Database::Access::ReadWrite);
  ensure_schema(db);
  return db;
}

// Text of one config value as --where compares it: strings raw, everything else as JSON.
std::string value_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::optional<double> value_number(const json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

// Stores the flattened config of a new job. A per-stage list whose stages all agree also gets
// `uniform` (and its number), so that model.mixers=pool matches [pool, pool, pool, pool].
void insert_config_values(Database& db, const std::string& id, const json& config) {
  Statement insert(db, "INSERT OR IGNORE INTO config_values (job_id, key, value, num, uniform) VALUES (?, ?, ?, ?, ?)");
  const json flat = flatten_config(config);
  for (auto it = flat.begin(); it != flat.end(); ++it) {
    const json& v = it.value();
    std::optional<double> num = value_number(v);
    std::optional<std::string> uniform;
    if (v.is_array()) {
      bool same = !v.empty() && !v.front().is_structured();
      for (const auto& e : v) same = same && e == v.front();
      if (same) {
        uniform = value_text(v.front());
        num = value_number(v.front());
      }
    } else {
      uniform = value_text(v);
    }
    insert.bind(1, id).bind(2, it.key()).bind(3, value_text(v)).bind(4, num);
    if (uniform)
      insert.bind(5, *uniform);
    else
      insert.bind_null(5);
    insert.run();
    insert.reset();
  }
}

std::optional<int64_t> epochs_of(const json& config) {
  if (config.contains("task") && config["task"].contains("epochs") && config["task"]["epochs"].is_number_integer())
    return config["task"]["epochs"].get<int64_t>();
  return std::nullopt;
}

}  // namespace

std::string database_path_problem(const std::string& path) {
  if (path.empty()) return "--db: the path is empty: give the database file";
  if (path == ":memory:")
    return "--db :memory: is an in-memory database: the results would be thrown away; give a file (e.g. ./results.db)";
  if (path.rfind("file:", 0) == 0)
    return "--db " + path +
           ": SQLite URIs are not accepted (one may name an in-memory database and keep nothing); "
           "give a plain file path (a file really named like this: ./" +
           path + ")";
  return "";
}

ResultStore::ResultStore(const std::string& path, OpenMode mode)
    : path_(mode == OpenMode::Writer ? writable_path(path) : checked_path(path)),
      mode_(mode),
      lock_(mode == OpenMode::Writer ? std::optional<RunLock>(std::in_place, path) : std::nullopt),
      db_(open_database(path, mode)) {}

void ResultStore::require_writer(const char* what) const {
  if (mode_ != OpenMode::Writer) throw std::logic_error(std::string(what) + ": the results store is open read-only");
}

MembershipChange ResultStore::register_sweep(const SweepSpec& spec, const std::string& yaml_text,
                                             const std::vector<Job>& jobs, bool fresh) {
  require_writer("register_sweep");
  const double now = unix_now();
  Transaction tx(db_);
  MembershipChange change;
  check_new_sweep_name(spec.name);
  {
    Statement before(db_, "SELECT file FROM sweeps WHERE name = ?");
    before.bind(1, spec.name);
    if (!before.step())
      change.new_sweep = true;
    else if (before.column_text(0) != spec.file)
      change.previous_file = before.column_text(0);
  }
  std::set<std::string> old_members;
  {
    Statement members(db_, "SELECT job_id FROM sweep_jobs WHERE sweep = ?");
    members.bind(1, spec.name);
    while (members.step()) old_members.insert(members.column_text(0));
  }
  Statement sweep(
      db_,
      "INSERT INTO sweeps (name, description, file, yaml, sections, reference_metric, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) ON CONFLICT (name) DO UPDATE SET "
      "description = excluded.description, file = excluded.file, yaml = excluded.yaml, "
      "sections = excluded.sections, reference_metric = excluded.reference_metric, "
      "updated_at = excluded.updated_at");
  sweep.bind(1, spec.name).bind(2, spec.description).bind(3, spec.file).bind(4, yaml_text);
  sweep.bind(5, json(spec.sections).dump()).bind(6, spec.reference_metric).bind(7, now).run();

  if (fresh) {
    // The sweep's jobs, as `forget --sweep` takes them: its current definition's, and its former
    // members (those this very edit drops and those an earlier one removed: re-added, one would
    // otherwise bring back a result from before the fresh start). A current member that another
    // sweep holds finished, now or as a former member, stays: its result is that sweep's too. A
    // former member another sweep names at all stays as it is: it is no longer this sweep's.
    std::vector<std::string> ids;
    std::set<std::string> seen, former;
    for (const Job& job : jobs)
      if (seen.insert(job.id).second) ids.push_back(job.id);
    for (const std::string& id : old_members)
      if (seen.insert(id).second) ids.push_back(id), former.insert(id);
    {
      Statement removed(db_, "SELECT job_id FROM removed_sweep_jobs WHERE sweep = ? ORDER BY position");
      removed.bind(1, spec.name);
      while (removed.step())
        if (seen.insert(removed.column_text(0)).second)
          ids.push_back(removed.column_text(0)), former.insert(removed.column_text(0));
    }
    Statement named_elsewhere(db_,
                              "SELECT 1 FROM (SELECT sweep, job_id FROM sweep_jobs UNION SELECT sweep, job_id FROM "
                              "removed_sweep_jobs) WHERE job_id = ? AND sweep != ? LIMIT 1");
    Statement others(db_,
                     "SELECT m.sweep FROM (SELECT sweep, job_id FROM sweep_jobs UNION SELECT sweep, job_id FROM "
                     "removed_sweep_jobs) m JOIN jobs j ON j.id = m.job_id WHERE m.job_id = ? AND m.sweep != ? AND "
                     "j.status IN ('done', 'diverged') ORDER BY m.sweep");
    std::set<std::string> sharing;
    for (const std::string& id : ids) {
      if (former.count(id)) {
        named_elsewhere.bind(1, id).bind(2, spec.name);
        const bool elsewhere = named_elsewhere.step();
        named_elsewhere.reset();
        if (!elsewhere) change.reset.push_back(id), ++change.former_reset;
        continue;
      }
      others.bind(1, id).bind(2, spec.name);
      bool shared = false;
      while (others.step()) shared = true, sharing.insert(others.column_text(0));
      others.reset();
      (shared ? change.kept_shared : change.reset).push_back(id);
    }
    change.sharing_sweeps.assign(sharing.begin(), sharing.end());
    reset_job_rows(change.reset);
  }

  // Members the current definition no longer has: recorded as removed (with their section and
  // variant, for a query by id), then dropped from the sweep. Their jobs keep every result.
  std::set<std::string> current;
  for (const Job& job : jobs) current.insert(job.id);
  Statement retire(db_,
                   "INSERT OR REPLACE INTO removed_sweep_jobs (sweep, job_id, section, variant, position, reference, "
                   "cell, removed_at) SELECT sweep, job_id, section, variant, position, reference, cell, ? FROM "
                   "sweep_jobs "
                   "WHERE sweep = ? AND job_id = ?");
  Statement drop(db_, "DELETE FROM sweep_jobs WHERE sweep = ? AND job_id = ?");
  for (const std::string& id : old_members) {
    if (current.count(id)) continue;
    retire.bind(1, now).bind(2, spec.name).bind(3, id).run();
    retire.reset();
    drop.bind(1, spec.name).bind(2, id).run();
    drop.reset();
    ++change.removed;
  }

  Statement insert_job(db_,
                       "INSERT OR IGNORE INTO jobs (id, config, seed, params, macs, epochs_total) "
                       "VALUES (?, ?, ?, ?, ?, ?)");
  Statement update_cost(db_, "UPDATE jobs SET params = ?, macs = ? WHERE id = ?");
  Statement member(db_,
                   "INSERT INTO sweep_jobs (sweep, job_id, section, variant, position, reference, cell) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sweep, job_id) DO UPDATE SET section = excluded.section, "
                   "variant = excluded.variant, position = excluded.position, reference = excluded.reference, "
                   "cell = excluded.cell");
  Statement unretire(db_, "DELETE FROM removed_sweep_jobs WHERE sweep = ? AND job_id = ?");
  int64_t position = 0;
  for (const Job& job : jobs) {
    insert_job.bind(1, job.id).bind(2, job.config.dump()).bind(3, job.seed);
    if (job.params >= 0)
      insert_job.bind(4, job.params);
    else
      insert_job.bind_null(4);
    if (job.macs >= 0)
      insert_job.bind(5, job.macs);
    else
      insert_job.bind_null(5);
    if (auto e = epochs_of(job.config))
      insert_job.bind(6, *e);
    else
      insert_job.bind_null(6);
    insert_job.run();
    const bool inserted = db_.changes() > 0;
    insert_job.reset();
    if (inserted) {
      insert_config_values(db_, job.id, job.config);
    } else if (job.params >= 0 && job.macs >= 0) {  // the zoo may have learned to count since
      update_cost.bind(1, job.params).bind(2, job.macs).bind(3, job.id).run();
      update_cost.reset();
    }
    member.bind(1, spec.name).bind(2, job.id).bind(3, job.section).bind(4, job.variant).bind(5, position++);
    member.bind(6, job.reference).bind(7, job.cell).run();
    member.reset();
    unretire.bind(1, spec.name).bind(2, job.id).run();
    unretire.reset();
    (old_members.count(job.id) ? change.kept : change.added)++;
  }
  tx.commit();
  return change;
}

void ResultStore::reset_job_rows(const std::vector<std::string>& ids) {
  Statement reset(db_,
                  "UPDATE jobs SET status = 'pending', attempts = 0, failures = 0, error = NULL, epochs_done = 0, "
                  "test_acc = NULL, test_loss = NULL, train_loss = NULL, test_seq_acc = NULL, skipped_train = 0, "
                  "skipped_test = 0, wall_s = NULL, "
                  "samples_per_s = NULL, started_at = NULL, finished_at = NULL, host = NULL, trained_by = NULL, "
                  "semantics = NULL, device = NULL, reset_at = ?2 WHERE id = ?1");
  Statement clear_epochs(db_, "DELETE FROM epochs WHERE job_id = ?");
  Statement clear_attempts(db_, "DELETE FROM job_attempts WHERE job_id = ?");
  const double now = unix_now();
  for (const std::string& id : ids) {
    reset.bind(1, id).bind(2, now).run();
    reset.reset();
    clear_epochs.bind(1, id).run();
    clear_epochs.reset();
    clear_attempts.bind(1, id).run();
    clear_attempts.reset();
  }
}

void ResultStore::reset_jobs(const std::vector<std::string>& ids) {
  require_writer("reset_jobs");
  Transaction tx(db_);
  reset_job_rows(ids);
  tx.commit();
}

std::vector<std::string> ResultStore::jobs_trained_before(const std::string& sweep) const {
  Statement s(db_,
              "SELECT j.id, j.semantics, j.config FROM sweep_jobs m JOIN jobs j ON j.id = m.job_id WHERE m.sweep = ? "
              "AND (j.epochs_done > 0 OR j.status IN ('done', 'failed', 'diverged')) AND "
              "(j.semantics IS NULL OR j.semantics < ?) ORDER BY m.position");
  s.bind(1, sweep).bind(2, kTrainingSemantics);
  std::vector<std::string> ids;
  while (s.step()) {
    const nlohmann::json config = nlohmann::json::parse(s.column_text(2), nullptr, false);
    if (s.is_null(1) || s.column_int64(1) < semantics_needed(config)) ids.push_back(s.column_text(0));
  }
  return ids;
}

void ResultStore::job_started(const std::string& id, const std::string& where, int ranks) {
  require_writer("job_started");
  Transaction tx(db_);
  const double now = unix_now();
  // A job resumed from epochs an older release trained keeps that release's marks: its numbers
  // are partly that release's.
  Statement s(db_,
              "UPDATE jobs SET status = 'running', attempts = attempts + 1, error = NULL, started_at = ?, "
              "finished_at = NULL, host = ?, "
              "trained_by = CASE WHEN epochs_done > 0 THEN trained_by ELSE ?4 END, "
              "semantics = CASE WHEN epochs_done > 0 THEN semantics ELSE ?5 END WHERE id = ?3");
  s.bind(1, now)
      .bind(2, where)
      .bind(3, id)
      .bind(4, std::string(kMetasweepVersion))
      .bind(5, int64_t{kTrainingSemantics})
      .run();
  if (db_.changes() == 0) throw std::runtime_error(path_ + ": job_started: unknown job " + id);
  // An attempt left open (a caller that never ended it) ends interrupted: one runs at a time.
  close_attempt(id, "interrupted", std::nullopt, false);
  Statement attempt(db_,
                    "INSERT OR REPLACE INTO job_attempts (job_id, attempt, started_at, ended_at, where_ran, ranks) "
                    "SELECT id, attempts, ?2, ?2, ?3, ?4 FROM jobs WHERE id = ?1");
  attempt.bind(1, id).bind(2, now).bind(3, where).bind(4, int64_t{std::max(1, ranks)}).run();
  tx.commit();
}

void ResultStore::close_attempt(const std::string& id, const std::string& outcome,
                                const std::optional<std::string>& error, bool ended_now) {
  Statement s(db_,
              "UPDATE job_attempts SET outcome = ?2, error = ?3, ended_at = CASE WHEN ?4 THEN MAX(?5, started_at) "
              "ELSE ended_at END WHERE job_id = ?1 AND outcome = 'running'");
  s.bind(1, id).bind(2, outcome);
  if (error && !error->empty())
    s.bind(3, *error);
  else
    s.bind_null(3);
  s.bind(4, int64_t{ended_now ? 1 : 0}).bind(5, unix_now()).run();
}

// The job's throughput is its examples over its training time. Every epoch trains the same
// number of examples, so that is the harmonic mean of the epochs' rates (their plain mean
// overstates it when one epoch was slow: 2122, 8942 and 7968 samples/s average 6344, but the
// job trained at 4234).
void ResultStore::record_epoch(const std::string& id, const EpochMetrics& m, bool replayed) {
  require_writer("record_epoch");
  Transaction tx(db_);
  Statement insert(db_,
                   "INSERT OR REPLACE INTO epochs (job_id, epoch, train_loss, test_loss, test_acc, test_seq_acc, lr, "
                   "samples_per_s, wall_s, recorded_at, skipped_train, skipped_test, device) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, id).bind(2, m.epoch).bind(3, m.train_loss).bind(4, m.test_loss).bind(5, m.test_acc);
  if (m.test_seq_acc >= 0)
    insert.bind(6, m.test_seq_acc);
  else
    insert.bind_null(6);
  insert.bind(7, m.lr).bind(8, m.samples_per_s).bind(9, m.wall_s).bind(10, unix_now());
  insert.bind(11, m.skipped_train).bind(12, m.skipped_test);
  if (m.device.empty())
    insert.bind_null(13);
  else
    insert.bind(13, m.device);
  insert.run();
  Statement stale(db_, "DELETE FROM epochs WHERE job_id = ? AND epoch > ?");
  stale.bind(1, id).bind(2, m.epoch).run();
  Statement job(db_,
                "UPDATE jobs SET epochs_done = ?1, test_acc = ?2, test_loss = ?3, train_loss = ?4, test_seq_acc = ?5, "
                "skipped_train = ?7, skipped_test = ?8, "
                "samples_per_s = (SELECT COUNT(*) / SUM(1.0 / samples_per_s) FROM epochs WHERE job_id = ?6 "
                "AND samples_per_s > 0), "
                "wall_s = (SELECT SUM(wall_s) FROM epochs WHERE job_id = ?6), "
                // every device its epochs were trained on (a job resumed elsewhere has two; epochs an
                // older metasweep trained are kUnrecordedDevice), none when no epoch recorded one
                "device = (SELECT CASE WHEN COUNT(device) = 0 THEN NULL ELSE (SELECT group_concat(d, ' + ') FROM "
                "(SELECT DISTINCT COALESCE(device, ?9) AS d FROM epochs WHERE job_id = ?6 ORDER BY d)) END FROM "
                "epochs WHERE job_id = ?6) WHERE id = ?6");
  job.bind(1, m.epoch).bind(2, m.test_acc).bind(3, m.test_loss).bind(4, m.train_loss);
  if (m.test_seq_acc >= 0)
    job.bind(5, m.test_seq_acc);
  else
    job.bind_null(5);
  job.bind(6, id).bind(7, m.skipped_train).bind(8, m.skipped_test).bind(9, kUnrecordedDevice).run();
  if (db_.changes() == 0) throw std::runtime_error(path_ + ": record_epoch: unknown job " + id);
  // The running attempt's last sign of life: what an attempt a killed run interrupts cost at least.
  Statement alive(db_,
                  "UPDATE job_attempts SET ended_at = MAX(ended_at, ?2) WHERE job_id = ?1 AND outcome = 'running'");
  alive.bind(1, id).bind(2, unix_now()).run();
  if (!replayed) attempt_ran_on(id, m.device, /*over_recorded=*/true);
  tx.commit();
}

void ResultStore::attempt_ran_on(const std::string& id, const std::string& device, bool over_recorded) {
  require_writer("attempt_ran_on");
  if (device.empty()) return;
  // The job's open attempt: running, or one a stop marked interrupted before its report came.
  Statement s(db_,
              "UPDATE job_attempts SET device = CASE WHEN ?3 THEN ?2 ELSE COALESCE(device, ?2) END WHERE job_id = ?1 "
              "AND outcome IN ('running', 'interrupted') AND attempt = (SELECT MAX(attempt) FROM job_attempts WHERE "
              "job_id = ?1)");
  s.bind(1, id).bind(2, device).bind(3, int64_t{over_recorded ? 1 : 0}).run();
}

void ResultStore::job_finished(const std::string& id, JobStatus status, const std::string& error, double wall_s,
                               const std::string& outcome) {
  require_writer("job_finished");
  Transaction tx(db_);
  record_finished(id, status, error, wall_s);
  close_attempt(id, outcome.empty() ? std::string(to_string(status)) : outcome, error, true);
  tx.commit();
}

void ResultStore::record_finished(const std::string& id, JobStatus status, const std::string& error, double wall_s) {
  Statement s(db_,
              // wall_s: this attempt's, or, for a job resumed from a checkpoint, the recorded epochs'
              // (earlier attempts' included) when they took longer: the time its result cost.
              "UPDATE jobs SET status = ?1, error = ?2, finished_at = ?4, failures = failures + (?1 = 'failed'), "
              "wall_s = COALESCE(MAX(?3, COALESCE((SELECT SUM(e.wall_s) FROM epochs e WHERE e.job_id = ?5), 0)), "
              "wall_s) WHERE id = ?5");
  s.bind(1, to_string(status));
  if (error.empty())
    s.bind_null(2);
  else
    s.bind(2, error);
  if (wall_s >= 0)
    s.bind(3, wall_s);
  else
    s.bind_null(3);
  s.bind(4, unix_now()).bind(5, id).run();
  if (db_.changes() == 0) throw std::runtime_error(path_ + ": job_finished: unknown job " + id);
}

void ResultStore::record_requeued(const std::string& id, const std::string& error, const char* what) {
  Statement s(db_, "UPDATE jobs SET status = 'pending', error = ?1 WHERE id = ?2");
  s.bind(1, error).bind(2, id).run();
  if (db_.changes() == 0) throw std::runtime_error(path_ + ": " + what + ": unknown job " + id);
}

void ResultStore::job_requeued(const std::string& id, const std::string& error) {
  require_writer("job_requeued");
  Transaction tx(db_);
  record_requeued(id, error, "job_requeued");
  close_attempt(id, "lost", error, true);
  tx.commit();
}

void ResultStore::job_ended_run(const std::string& id, const std::string& outcome, const std::string& error,
                                bool failure, double ended_at) {
  require_writer("job_ended_run");
  Transaction tx(db_);
  if (failure)
    record_finished(id, JobStatus::Failed, error, -1);
  else
    record_requeued(id, error, "job_ended_run");
  // The run ended by MPI_Abort, so reset_stale_running ended the attempt interrupted at its last
  // epoch; it ran until the record was written. The attempt is the last one started before then
  // (a minute's slack for the clocks of two nodes): a later one (`train`, which reads no records)
  // is not the one that ended the run.
  Statement s(db_,
              "UPDATE job_attempts SET outcome = ?2, error = ?3, ended_at = MAX(ended_at, ?4) WHERE job_id = ?1 AND "
              "outcome IN ('running', 'interrupted') AND attempt = (SELECT MAX(attempt) FROM job_attempts WHERE "
              "job_id = ?1 AND started_at <= ?4 + 60)");
  s.bind(1, id).bind(2, outcome).bind(3, error).bind(4, ended_at).run();
  tx.commit();
}

void ResultStore::reset_running(const std::string& sweep) {
  require_writer("reset_running");
  Transaction tx(db_);
  Statement ended(db_,
                  "UPDATE job_attempts SET outcome = 'interrupted', ended_at = MAX(?2, started_at) WHERE outcome = "
                  "'running' AND job_id IN (SELECT j.id FROM jobs j JOIN sweep_jobs m ON m.job_id = j.id WHERE "
                  "m.sweep = ?1 AND j.status = 'running')");
  ended.bind(1, sweep).bind(2, unix_now()).run();
  Statement s(db_,
              "UPDATE jobs SET status = 'pending' WHERE status = 'running' AND id IN "
              "(SELECT job_id FROM sweep_jobs WHERE sweep = ?)");
  s.bind(1, sweep).run();
  tx.commit();
}

int ResultStore::reset_stale_running() {
  require_writer("reset_stale_running");
  Transaction tx(db_);
  // Every open attempt: its run is dead (the lock says so), whatever its job's status says.
  db_.exec("UPDATE job_attempts SET outcome = 'interrupted' WHERE outcome = 'running'");
  Statement s(db_, "UPDATE jobs SET status = 'pending' WHERE status = 'running'");
  s.run();
  const int reset = static_cast<int>(db_.changes());
  tx.commit();
  return reset;
}

std::vector<std::string> ResultStore::runnable_jobs(const std::string& sweep, int max_retries) const {
  Statement s(db_,
              "SELECT j.id FROM sweep_jobs m JOIN jobs j ON j.id = m.job_id WHERE m.sweep = ? AND "
              "(j.status IN ('pending', 'running') OR (j.status = 'failed' AND j.failures <= ?)) "
              "ORDER BY m.position");
  s.bind(1, sweep).bind(2, max_retries);
  std::vector<std::string> ids;
  while (s.step()) ids.push_back(s.column_text(0));
  return ids;
}

int ResultStore::attempts(const std::string& id) const {
  Statement s(db_, "SELECT attempts FROM jobs WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw std::runtime_error(path_ + ": unknown job " + id);
  return static_cast<int>(s.column_int64(0));
}

std::optional<double> ResultStore::reset_at(const std::string& id) const {
  if (schema_version(db_) < 8) return std::nullopt;
  Statement s(db_, "SELECT reset_at FROM jobs WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw std::runtime_error(path_ + ": unknown job " + id);
  return s.column_optional_double(0);
}

int ResultStore::failures(const std::string& id) const {
  Statement s(db_, "SELECT failures FROM jobs WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw std::runtime_error(path_ + ": unknown job " + id);
  return static_cast<int>(s.column_int64(0));
}

int ResultStore::losses(const std::string& id) const {
  if (!has_table("job_attempts")) return 0;
  Statement s(db_, "SELECT COUNT(*) FROM job_attempts WHERE job_id = ? AND outcome = 'lost'");
  s.bind(1, id);
  return s.step() ? static_cast<int>(s.column_int64(0)) : 0;
}

std::vector<Attempt> ResultStore::attempt_history(const std::string& id) const {
  std::vector<Attempt> out;
  if (!has_table("job_attempts")) return out;
  Statement s(db_, std::string("SELECT attempt, started_at, ended_at, where_ran, ranks, outcome, error, ") +
                       (schema_version(db_) >= 9 ? "device" : "NULL") +
                       " FROM job_attempts WHERE job_id = ? ORDER BY attempt");
  s.bind(1, id);
  while (s.step()) {
    Attempt a;
    a.number = static_cast<int>(s.column_int64(0));
    a.started_at = s.column_double(1);
    a.ended_at = s.column_double(2);
    a.where = s.column_text(3);
    a.ranks = static_cast<int>(s.column_int64(4));
    a.outcome = s.column_text(5);
    a.error = s.column_text(6);
    a.device = s.column_text(7);
    out.push_back(a);
  }
  return out;
}

std::set<std::string> ResultStore::jobs_with_attempt_error(const std::string& sweep, const std::string& text) const {
  std::set<std::string> ids;
  if (!has_table("job_attempts")) return ids;
  Statement s(db_,
              "SELECT DISTINCT a.job_id FROM job_attempts a JOIN sweep_jobs m ON m.job_id = a.job_id WHERE "
              "m.sweep = ? AND a.error IS NOT NULL AND instr(a.error, ?) > 0");
  s.bind(1, sweep).bind(2, text);
  while (s.step()) ids.insert(s.column_text(0));
  return ids;
}

JobStatus ResultStore::status(const std::string& id) const {
  Statement s(db_, "SELECT status FROM jobs WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw std::runtime_error(path_ + ": unknown job " + id);
  return job_status_from_string(s.column_text(0));
}

std::string ResultStore::error(const std::string& id) const {
  Statement s(db_, "SELECT error FROM jobs WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw std::runtime_error(path_ + ": unknown job " + id);
  return s.column_text(0);
}

std::vector<EpochMetrics> ResultStore::epochs(const std::string& id) const {
  Statement s(db_,
              "SELECT epoch, train_loss, test_loss, test_acc, test_seq_acc, lr, samples_per_s, wall_s, skipped_train, "
              "skipped_test FROM " +
                  epochs_table_sql(db_) + " WHERE job_id = ? ORDER BY epoch");
  s.bind(1, id);
  std::vector<EpochMetrics> out;
  while (s.step()) {
    EpochMetrics m;
    m.epoch = s.column_int64(0);
    // SQLite stores a NaN as NULL: it reads back as NaN, never as a 0 that looks like a result.
    const auto real = [&s](int column) { return s.is_null(column) ? std::nan("") : s.column_double(column); };
    m.train_loss = real(1);
    m.test_loss = real(2);
    m.test_acc = real(3);
    m.test_seq_acc = s.is_null(4) ? -1 : s.column_double(4);
    m.lr = real(5);
    m.samples_per_s = real(6);
    m.wall_s = real(7);
    m.skipped_train = s.column_int64(8);
    m.skipped_test = s.column_int64(9);
    out.push_back(m);
  }
  return out;
}

std::vector<std::string> ResultStore::sweeps() const {
  Statement s(db_, "SELECT name FROM sweeps ORDER BY created_at, name");
  std::vector<std::string> names;
  while (s.step()) names.push_back(s.column_text(0));
  return names;
}

std::optional<SweepInfo> ResultStore::sweep_info(const std::string& name) const {
  Statement s(db_,
              "SELECT name, description, file, yaml, sections, reference_metric, created_at, updated_at "
              "FROM sweeps WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  SweepInfo info;
  info.name = s.column_text(0);
  info.description = s.column_text(1);
  info.file = s.column_text(2);
  info.yaml = s.column_text(3);
  const json sections = json::parse(s.column_text(4), nullptr, false);
  if (sections.is_array())
    for (const auto& section : sections) info.sections.push_back(section.get<std::string>());
  info.reference_metric = s.column_text(5);
  info.created_at = s.column_double(6);
  info.updated_at = s.column_double(7);
  return info;
}

bool ResultStore::has_table(const std::string& name) const {
  Statement s(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, name);
  return s.step();
}

std::string ResultStore::sweep_named(const std::string& typed) const {
  if (has_sweep(typed)) return typed;
  const std::string key = name_key(typed);
  for (const std::string& name : sweeps())
    if (name_key(name) == key) return name;
  return typed;
}

void ResultStore::check_new_sweep_name(const std::string& name) const {
  if (const std::string stored = sweep_named(name); stored != name)
    throw UsageError("sweep name '" + name + "' is the sweep '" + stored + "' already in " + path_ +
                     spelling_note(name, stored) + "; or give the sweep another name");
}

bool ResultStore::has_sweep(const std::string& name) const {
  Statement s(db_, "SELECT 1 FROM sweeps WHERE name = ?");
  s.bind(1, name);
  return s.step();
}

StatusCounts ResultStore::status_counts(const std::string& sweep) const {
  StatusCounts counts;
  Statement s(db_,
              "SELECT j.status, COUNT(*) FROM sweep_jobs m JOIN jobs j ON j.id = m.job_id WHERE m.sweep = ? "
              "GROUP BY j.status");
  s.bind(1, sweep);
  while (s.step()) counts[job_status_from_string(s.column_text(0))] = static_cast<int>(s.column_int64(1));
  return counts;
}

}  // namespace ms
