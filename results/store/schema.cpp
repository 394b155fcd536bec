// Schema DDL and version checks (see schema.h).
//   sweeps        one row per sweep file name (the yaml text is kept for the report)
//   jobs          one row per job id; a job shared by sweeps is one row, trained once
//   sweep_jobs    membership: which sweep, section, variant, position, reference value; exactly
//                 the jobs of each sweep's current definition (replaced at every registration)
//   removed_sweep_jobs  memberships an edit of the sweep file dropped (v2): the jobs keep their
//                 results and stay queryable by id, but never mix into the sweep's tables
//   epochs        per-epoch metrics, primary key (job_id, epoch): a resumed job replaces rows
//   config_values the resolved config flattened to dotted keys, for --where and --group-by
//   (v3) jobs.trained_by, jobs.semantics: the metasweep version and training semantics that
//                 trained the job (sweeps/version.h)
//   (v4) sweep_jobs.cell, removed_sweep_jobs.cell: the grid/zip cell's label of each membership
//   (v5) jobs.failures: the attempts that ended failed (attempts counts every start, also those a
//                 killed or stopped run interrupted); --max-retries limits failures
//   (v6) epochs.skipped_train, epochs.skipped_test and the last epoch's in jobs: images skipped
//                 as corrupt (task.on_corrupt: skip); the test metrics are over the rest
//   (v7) job_attempts: one row per start of a job, with how it ended (done, diverged, failed,
//                 lost: its group's GPU failed, hung, interrupted) and when; what the retries are
//                 judged by and what every attempt cost, finished or not
//   (v8) epochs.device, jobs.device: what trained it; jobs.reset_at: when it was last started over
//   (v9) job_attempts.device: what each attempt trained on
// plus the views of views.h (job_results, epoch_results) for users' own queries.
#include "results/store/schema.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "results/store/run_stop.h"
#include "results/store/sqlite_db.h"
#include "results/store/views.h"
#include "sweeps/errors.h"

namespace ms {

namespace {

const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS sweeps (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  file TEXT NOT NULL DEFAULT '',
  yaml TEXT NOT NULL DEFAULT '',
  sections TEXT NOT NULL DEFAULT '[]',
  reference_metric TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  seed INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'running', 'done', 'failed', 'diverged')),
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  params INTEGER,
  macs INTEGER,
  epochs_total INTEGER,
  epochs_done INTEGER NOT NULL DEFAULT 0,
  test_acc REAL,
  test_loss REAL,
  train_loss REAL,
  test_seq_acc REAL,
  wall_s REAL,
  samples_per_s REAL,
  started_at REAL,
  finished_at REAL,
  host TEXT
);
CREATE TABLE IF NOT EXISTS sweep_jobs (
  sweep TEXT NOT NULL REFERENCES sweeps(name) ON DELETE CASCADE,
  job_id TEXT NOT NULL REFERENCES jobs(id),
  section TEXT NOT NULL,
  variant TEXT NOT NULL,
  position INTEGER NOT NULL,
  reference REAL,
  PRIMARY KEY (sweep, job_id)
);
CREATE INDEX IF NOT EXISTS sweep_jobs_job ON sweep_jobs(job_id);
CREATE TABLE IF NOT EXISTS epochs (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  train_loss REAL,
  test_loss REAL,
  test_acc REAL,
  test_seq_acc REAL,
  lr REAL,
  samples_per_s REAL,
  wall_s REAL,
  recorded_at REAL NOT NULL,
  PRIMARY KEY (job_id, epoch)
);
CREATE TABLE IF NOT EXISTS config_values (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  num REAL,
  uniform TEXT,
  PRIMARY KEY (job_id, key)
);
CREATE INDEX IF NOT EXISTS config_values_key ON config_values(key, value);
)sql";

const char* kSchemaV2 = R"sql(
CREATE TABLE IF NOT EXISTS removed_sweep_jobs (
  sweep TEXT NOT NULL REFERENCES sweeps(name) ON DELETE CASCADE,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,  -- a forgotten job takes these along
  section TEXT NOT NULL,
  variant TEXT NOT NULL,
  position INTEGER NOT NULL,
  reference REAL,
  removed_at REAL NOT NULL,
  PRIMARY KEY (sweep, job_id)
);
CREATE INDEX IF NOT EXISTS removed_sweep_jobs_job ON removed_sweep_jobs(job_id);
)sql";

// v3: which metasweep, under which training semantics (sweeps/version.h), started each job's
// training; NULL for jobs trained before it was recorded.
const char* kSchemaV3 = R"sql(
ALTER TABLE jobs ADD COLUMN trained_by TEXT;
ALTER TABLE jobs ADD COLUMN semantics INTEGER;
)sql";

// v4: the grid/zip cell of each membership, so that a variant is compared with the baseline of its
// own cell; NULL for memberships registered before it was recorded (readers derive it from labels).
const char* kSchemaV4 = R"sql(
ALTER TABLE sweep_jobs ADD COLUMN cell TEXT;
ALTER TABLE removed_sweep_jobs ADD COLUMN cell TEXT;
)sql";

// v5: failed attempts apart from started ones, so that interrupted attempts (a killed run, `stop`,
// scancel) never use up the retries. A job failed before v5 keeps its attempts as its failures,
// the count its retries were judged by until then; other jobs start at 0.
const char* kSchemaV5 = R"sql(
ALTER TABLE jobs ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET failures = attempts WHERE status = 'failed';
)sql";

// v6: corrupt images skipped per epoch (task.on_corrupt: skip), so that an accuracy over fewer
// test images than the split holds is on record; 0 for epochs recorded before.
const char* kSchemaV6 = R"sql(
ALTER TABLE epochs ADD COLUMN skipped_train INTEGER NOT NULL DEFAULT 0;
ALTER TABLE epochs ADD COLUMN skipped_test INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN skipped_train INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN skipped_test INTEGER NOT NULL DEFAULT 0;
)sql";

// v7: the history of a job's attempts. ended_at is the end of a finished attempt; while it runs,
// and for one a killed run interrupted, the time of its last recorded epoch (its start before
// any), so the time an interrupted attempt cost is known to a lower bound. ranks: the MPI ranks of
// its group (one GPU each on a GPU cluster). Jobs that ran before v7 have a row only for a last
// attempt that left a message.
const char* kSchemaV7 = R"sql(
CREATE TABLE IF NOT EXISTS job_attempts (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  started_at REAL NOT NULL,
  ended_at REAL NOT NULL,
  where_ran TEXT NOT NULL DEFAULT '',
  ranks INTEGER NOT NULL DEFAULT 1,
  outcome TEXT NOT NULL DEFAULT 'running'
    CHECK (outcome IN ('running', 'done', 'diverged', 'failed', 'lost', 'hung', 'interrupted')),
  error TEXT,
  PRIMARY KEY (job_id, attempt)
);
-- What an older database knows of a job's last attempt when it left a message: a job back to
-- pending with one lost its group's GPU (the free retry is judged by it), and the message of a
-- failed or diverged one (a failed CUDA graph capture is remembered by it).
INSERT OR IGNORE INTO job_attempts (job_id, attempt, started_at, ended_at, where_ran, outcome, error)
SELECT id, attempts, COALESCE(started_at, finished_at, 0), COALESCE(finished_at, started_at, 0), COALESCE(host, ''),
       CASE status WHEN 'pending' THEN 'lost' ELSE status END, error
FROM jobs WHERE attempts > 0 AND error IS NOT NULL AND error != '' AND status IN ('pending', 'failed', 'diverged');
)sql";

// v8: what trained each epoch ("2× NVIDIA H200", "1× AMD EPYC 7B13 (CPU, 2 threads)"), and a
// job's devices, so that a throughput is known with what measured it (NULL for epochs recorded
// before); and when a job was last reset (forget --job, --fresh, --retrain-older), so that a
// checkpoint from before that (kept in another --checkpoint-dir) is never resumed.
const char* kSchemaV8 = R"sql(
ALTER TABLE epochs ADD COLUMN device TEXT;
ALTER TABLE jobs ADD COLUMN device TEXT;
ALTER TABLE jobs ADD COLUMN reset_at REAL;
)sql";

// v9: what each attempt ran on, so that the rank time of failed, lost and interrupted attempts is
// known with its device (the worker group says so when the job ends, and every epoch the attempt
// trains); NULL for attempts before, and for one killed before it trained an epoch.
const char* kSchemaV9 = R"sql(
ALTER TABLE job_attempts ADD COLUMN device TEXT;
)sql";

int user_version(const Database& db) {
  Statement s(db, "PRAGMA user_version");
  return s.step() ? static_cast<int>(s.column_int64(0)) : 0;
}

}  // namespace

void ensure_schema(Database& db) {
  Transaction tx(db);
  const int version = user_version(db);
  if (version > kSchemaVersion)
    throw UsageError("--db " + db.path() + ": schema version " + std::to_string(version) +
                     " is newer than this metasweep understands (" + std::to_string(kSchemaVersion) + ")");
  if (version < 1) {
    db.exec(kSchemaV1);
    db.exec("PRAGMA user_version = 1");
  }
  if (version < 2) {
    db.exec(kSchemaV2);
    db.exec("PRAGMA user_version = 2");
  }
  if (version < 3) {
    db.exec(kSchemaV3);
    db.exec("PRAGMA user_version = 3");
  }
  if (version < 4) {
    db.exec(kSchemaV4);
    db.exec("PRAGMA user_version = 4");
  }
  if (version < 5) {
    db.exec(kSchemaV5);
    db.exec("PRAGMA user_version = 5");
  }
  if (version < 6) {
    db.exec(kSchemaV6);
    db.exec("PRAGMA user_version = 6");
  }
  if (version < 7) {
    db.exec(kSchemaV7);
    db.exec("PRAGMA user_version = 7");
  }
  if (version < 8) {
    db.exec(kSchemaV8);
    db.exec("PRAGMA user_version = 8");
  }
  if (version < 9) {
    db.exec(kSchemaV9);
    db.exec("PRAGMA user_version = 9");
  }
  ensure_views(db);
  tx.commit();
}

std::string jobs_table_sql(const Database& db) {
  const int version = schema_version(db);
  if (version >= 8) return "jobs";
  return std::string("(SELECT *, ") +
         (version >= 5 ? "" : "CASE WHEN status = 'failed' THEN attempts ELSE 0 END AS failures, ") +
         (version >= 6 ? "" : "0 AS skipped_train, 0 AS skipped_test, ") +
         "NULL AS device, NULL AS reset_at FROM jobs)";
}

std::string epochs_table_sql(const Database& db) {
  const int version = schema_version(db);
  if (version >= 8) return "epochs";
  return std::string("(SELECT *, ") + (version >= 6 ? "" : "0 AS skipped_train, 0 AS skipped_test, ") +
         "NULL AS device FROM epochs)";
}

int schema_version(const Database& db) { return user_version(db); }

void check_writable_database_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;
  if (std::filesystem::is_directory(path, ec))
    throw UsageError("--db " + path + " is a directory, not a database file");
  if (std::filesystem::file_size(path, ec) == 0 || ec) return;  // an empty file: SQLite makes it a new database
  {                                                             // every SQLite 3 database file starts with this header
    char magic[16] = {};
    std::ifstream in(path, std::ios::binary);
    in.read(magic, sizeof magic);
    if (in.gcount() != sizeof magic || std::string(magic, sizeof magic) != std::string("SQLite format 3\0", 16))
      throw UsageError("--db " + path + " is not a SQLite database: refusing to write into it");
  }
  int version = 0;
  std::vector<std::string> tables;
  try {
    Database db(path, Database::Access::ReadOnly);
    version = user_version(db);
    Statement s(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (s.step()) tables.push_back(s.column_text(0));
    // The header and the schema can be fine while a page holding results is not (a bad sector,
    // a partial copy): SQLite would write around it and every later read could fail.
    Statement check(db, "PRAGMA quick_check(1)");
    if (check.step() && check.column_text(0) != "ok")
      throw UsageError("--db " + path + " is damaged (SQLite's quick_check: " + check.column_text(0) +
                       "): refusing to write into it (`sqlite3 FILE .recover` salvages what is readable)");
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    // A damaged file is not ours to write into; anything else (a full disk, I/O errors) is a
    // runtime failure reported as it is.
    std::string why = e.what();
    if (why.find("file is not a database") == std::string::npos && why.find("malformed") == std::string::npos) throw;
    if (why.rfind(path + ": ", 0) == 0) why = why.substr(path.size() + 2);
    throw UsageError("--db " + path + " is not a usable SQLite database (" + why + "): refusing to write into it");
  }
  if (version == 0 && !tables.empty()) {
    std::string names;
    for (size_t i = 0; i < tables.size() && i < 5; ++i) names += (i ? ", " : "") + tables[i];
    if (tables.size() > 5) names += ", ...";
    throw UsageError("--db " + path + " is a SQLite database but not a metasweep results database (tables: " + names +
                     "): refusing to write into it");
  }
}

void check_schema_readable(const Database& db) {
  // The wrong file given as --db is bad input (exit 2), as for the commands that write.
  int version = 0;
  try {
    version = user_version(db);
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (why.find("file is not a database") == std::string::npos && why.find("malformed") == std::string::npos) throw;
    if (why.rfind(db.path() + ": ", 0) == 0) why = why.substr(db.path().size() + 2);
    throw UsageError("--db " + db.path() + " is not a usable SQLite database (" + why + ")");
  }
  if (version == 0) {
    // A run that is creating the file holds its lock before the schema is written: a reader in
    // that moment is early, not given the wrong file.
    std::optional<RunHolder> holder;
    try {
      holder = run_holder(db.path());
    } catch (const std::exception&) {  // the lock cannot be checked: say what the file holds
    }
    if (holder)
      throw UsageError("--db " + db.path() + " is being created by a metasweep run" +
                       (holder->pid > 0 ? " (pid " + std::to_string(holder->pid) + ")" : std::string()) +
                       " and holds no sweep yet: try again in a moment");
    throw UsageError("--db " + db.path() + " is not a metasweep results database (no schema)");
  }
  if (version > kSchemaVersion)
    throw UsageError("--db " + db.path() + ": schema version " + std::to_string(version) +
                     " is newer than this metasweep understands (" + std::to_string(kSchemaVersion) + ")");
}

}  // namespace ms
