// Forgetting sweeps and jobs, and sweep notes (see sweep_admin.h).
#include "results/store/sweep_admin.h"

#include <algorithm>
#include <ctime>
#include <filesystem>

#include "results/store/sqlite_db.h"
#include "sweeps/config_schema.h"
#include "sweeps/errors.h"
#include "sweeps/names.h"
#include "sweeps/user_text.h"

namespace ms {

namespace fs = std::filesystem;

namespace {

const char* kNotesTable =
    "CREATE TABLE IF NOT EXISTS sweep_notes (sweep TEXT NOT NULL REFERENCES sweeps(name) ON DELETE CASCADE, "
    "created_at REAL NOT NULL, text TEXT NOT NULL)";

void require_sweep(const ResultStore& store, const std::string& sweep) {
  if (store.has_sweep(sweep)) return;
  const auto names = store.sweeps();
  throw UsageError("no sweep '" + sweep + "' in " + store.path() +
                   " (sweeps: " + (names.empty() ? std::string("none") : join(names, ", ")) + ")");
}

bool has_table(const Database& db, const std::string& name) {
  Statement s(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, name);
  return s.step();
}

}  // namespace

std::vector<std::string> checkpoint_files(const std::string& dir, const std::string& id) {
  std::vector<std::string> files;
  if (dir.empty()) return files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename().string().rfind(id + ".ckpt", 0) == 0) files.push_back(entry.path().string());
  return files;
}

int remove_checkpoints(const std::string& dir, const std::string& id, std::optional<double> written_before) {
  int removed = 0;
  for (const std::string& path : checkpoint_files(dir, id)) {
    if (written_before) {
      const std::optional<double> written = file_mtime(path);
      if (!written || *written >= *written_before) continue;
    }
    std::error_code ec;
    removed += fs::remove(path, ec) ? 1 : 0;
  }
  return removed;
}

int remove_checkpoints_from_before_reset(const ResultStore& store, const std::string& dir, const std::string& id) {
  const std::optional<double> reset = store.reset_at(id);
  return reset ? remove_checkpoints(dir, id, reset) : 0;
}

ForgetPlan plan_forget_sweep(const ResultStore& store, const std::string& sweep) {
  require_sweep(store, sweep);
  ForgetPlan plan;
  plan.sweep = sweep;
  // Memberships of the current definitions and those an edit removed (kept, queryable by id): a
  // job another sweep names either way stays.
  const std::string members = has_table(store.db(), "removed_sweep_jobs")
                                  ? "(SELECT sweep, job_id, position FROM sweep_jobs UNION ALL "
                                    "SELECT sweep, job_id, position + 1000000000 FROM removed_sweep_jobs)"
                                  : "(SELECT sweep, job_id, position FROM sweep_jobs)";
  Statement s(store.db(), "SELECT m.job_id, (SELECT COUNT(*) FROM " + members +
                              " o WHERE o.job_id = m.job_id AND o.sweep != m.sweep), "
                              "(SELECT COUNT(*) FROM epochs e WHERE e.job_id = m.job_id) FROM " +
                              members +
                              " m WHERE m.sweep = ? "
                              "ORDER BY m.position");
  s.bind(1, sweep);
  while (s.step()) {
    if (s.column_int64(1) > 0) {
      plan.shared.push_back(s.column_text(0));
    } else {
      plan.jobs.push_back(s.column_text(0));
      plan.epochs += s.column_int64(2);
    }
  }
  return plan;
}

JobInfo job_info(const ResultStore& store, const std::string& id_or_prefix) {
  // the id itself, else the ids it begins (compared as text: no LIKE wildcards in user text)
  Statement find(store.db(),
                 "SELECT id FROM jobs WHERE id = ?1 UNION ALL SELECT id FROM jobs WHERE id <> ?1 AND "
                 "length(?1) > 0 AND substr(id, 1, length(?1)) = ?1 AND NOT EXISTS (SELECT 1 FROM jobs WHERE id = ?1) "
                 "ORDER BY 1 LIMIT 6");
  find.bind(1, id_or_prefix);
  std::vector<std::string> ids;
  while (find.step()) ids.push_back(find.column_text(0));
  if (ids.empty())
    throw UsageError("no job '" + id_or_prefix + "' in " + store.path() + " (ids: metasweep results --db FILE)");
  if (ids.size() > 1)
    throw UsageError("job id prefix '" + id_or_prefix + "' matches several jobs in " + store.path() + ": " +
                     join(std::vector<std::string>(ids.begin(), ids.begin() + std::min<size_t>(ids.size(), 5)), ", ") +
                     (ids.size() > 5 ? ", ..." : "") + "; give more of the id");
  const std::string id = ids[0];
  Statement s(store.db(), "SELECT status, (SELECT COUNT(*) FROM epochs WHERE job_id = id) FROM jobs WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) throw UsageError("no job '" + id + "' in " + store.path());
  JobInfo info{id, job_status_from_string(s.column_text(0)), s.column_int64(1), {}};
  Statement m(store.db(), "SELECT sweep FROM sweep_jobs WHERE job_id = ? ORDER BY sweep");
  m.bind(1, id);
  while (m.step()) info.sweeps.push_back(m.column_text(0));
  return info;
}

ForgetPlan forget_sweep(const std::string& db_path, const std::string& sweep, const std::string& checkpoint_dir) {
  const ResultStore writer(db_path, OpenMode::Writer);  // the run lock, for the whole change
  const ForgetPlan plan = plan_forget_sweep(writer, sweep);
  Database db(db_path, Database::Access::ReadWrite);
  {
    Transaction tx(db);
    Statement members(db, "DELETE FROM sweep_jobs WHERE sweep = ?");
    members.bind(1, sweep).run();
    if (has_table(db, "removed_sweep_jobs")) {
      Statement removed(db, "DELETE FROM removed_sweep_jobs WHERE sweep = ?");
      removed.bind(1, sweep).run();
    }
    if (has_table(db, "sweep_notes")) {
      Statement notes(db, "DELETE FROM sweep_notes WHERE sweep = ?");
      notes.bind(1, sweep).run();
    }
    Statement drop(db, "DELETE FROM sweeps WHERE name = ?");
    drop.bind(1, sweep).run();
    Statement job(db, "DELETE FROM jobs WHERE id = ?");  // epochs and config values cascade
    for (const std::string& id : plan.jobs) {
      job.bind(1, id).run();
      job.reset();
    }
    tx.commit();
  }
  for (const std::string& id : plan.jobs) remove_checkpoints(checkpoint_dir, id);
  return plan;
}

void forget_job(const std::string& db_path, const std::string& id, const std::string& checkpoint_dir) {
  ResultStore writer(db_path, OpenMode::Writer);
  job_info(writer, id);  // exists
  writer.reset_jobs({id});
  remove_checkpoints(checkpoint_dir, id);
}

void add_note(const std::string& db_path, const std::string& sweep, const std::string& text) {
  if (auto problem = text_problem(text, "note", TextKind::FreeText)) throw UsageError(*problem);
  if (trim_spaces(text).empty()) throw UsageError("the note is empty: write some text, or none to list the notes");
  {  // a mistyped --db is "no such database", not a new file holding no sweep
    const ResultStore reader(db_path, OpenMode::ReadOnly);
    require_sweep(reader, sweep);
  }
  const ResultStore writer(db_path, OpenMode::Writer);
  require_sweep(writer, sweep);
  Database db(db_path, Database::Access::ReadWrite);
  Transaction tx(db);
  db.exec(kNotesTable);
  Statement s(db, "INSERT INTO sweep_notes (sweep, created_at, text) VALUES (?, ?, ?)");
  s.bind(1, sweep).bind(2, unix_now()).bind(3, text).run();
  tx.commit();
}

std::vector<SweepNote> sweep_notes(const ResultStore& store, const std::string& sweep) {
  std::vector<SweepNote> notes;
  if (!has_table(store.db(), "sweep_notes")) return notes;  // a database without notes yet
  Statement s(store.db(), "SELECT created_at, text FROM sweep_notes WHERE sweep = ? ORDER BY created_at, rowid");
  s.bind(1, sweep);
  while (s.step()) notes.push_back({s.column_double(0), s.column_text(1)});
  return notes;
}

std::string format_notes(const std::vector<SweepNote>& notes) {
  if (notes.empty()) return "";
  std::string out = "  notes:\n";
  for (const SweepNote& n : notes) {
    const std::time_t t = static_cast<std::time_t>(n.created_at);
    std::tm tm{};
    localtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    out += "    " + std::string(when) + "  " + note_terminal_text(n.text, 22) + "\n";
  }
  return out;
}

std::string note_terminal_text(const std::string& text, size_t indent) {
  std::string out;
  size_t start = 0;
  while (true) {
    const size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    std::replace(line.begin(), line.end(), '\t', ' ');
    out += printable(line);
    if (nl == std::string::npos) return out;
    out += "\n" + std::string(indent, ' ');
    start = nl + 1;
  }
}

}  // namespace ms
