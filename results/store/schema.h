// The results database schema, versioned with PRAGMA user_version. ensure_schema creates it in
// a new file and upgrades older versions step by step; it refuses files from a newer metasweep.
#pragma once
#include <string>

namespace ms {

class Database;

// 1: sweeps, jobs, sweep_jobs, epochs, config_values.
// 2: removed_sweep_jobs (memberships an edit of the sweep file dropped; the jobs stay).
// 3: jobs.trained_by, jobs.semantics (which metasweep trained a job).
// 4: sweep_jobs.cell, removed_sweep_jobs.cell (the grid/zip cell a member belongs to).
// 5: jobs.failures (failed attempts: what --max-retries limits; attempts also counts interrupted ones).
// 6: epochs.skipped_*, jobs.skipped_* (corrupt images skipped).
// 7: job_attempts (each start of a job: where, on how many ranks, how long, how it ended).
// 8: epochs.device and jobs.device (what trained it, beside its throughput).
// 9: job_attempts.device (what each attempt ran on).
constexpr int kSchemaVersion = 9;

void ensure_schema(Database& db);                // writer: create or upgrade
void check_schema_readable(const Database& db);  // reader: a known version (or throws)
int schema_version(const Database& db);          // PRAGMA user_version
// The jobs table for a query: `jobs` itself, or in an older file (read as is) with the columns the
// migrations would add: failures (v5: a failed job's attempts, else 0), skipped_* (v6: 0).
std::string jobs_table_sql(const Database& db);
// The epochs table likewise: before v6 with skipped_train and skipped_test 0.
std::string epochs_table_sql(const Database& db);

// Before a writer touches an existing file: throws ms::UsageError when it is not a SQLite
// database, or a SQLite database with tables but no metasweep schema (the file stays unchanged).
void check_writable_database_file(const std::string& path);

}  // namespace ms
