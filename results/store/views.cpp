// The job_results and epoch_results views (see views.h).
#include "results/store/views.h"

#include "results/store/sqlite_db.h"
#include "sweeps/config_schema.h"

namespace ms {

namespace {

std::string quote_identifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string quote_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// Replaces the view when its stored definition differs from `sql` (sqlite_master keeps the text).
void replace_view(Database& db, const std::string& name, const std::string& sql) {
  Statement s(db, "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?");
  s.bind(1, name);
  const bool exists = s.step();
  if (exists && s.column_text(0) == sql) return;
  s.reset();
  if (exists) db.exec("DROP VIEW " + quote_identifier(name));
  db.exec(sql);
}

}  // namespace

std::string job_results_view_sql() {
  std::string sql =
      "CREATE VIEW job_results AS SELECT m.sweep, m.section, m.variant, m.position, m.reference, j.id, j.seed, "
      "j.status, j.attempts, j.failures, j.error, j.epochs_done, j.epochs_total, j.params, j.macs, j.test_acc, "
      "j.test_loss, "
      "j.train_loss, j.test_seq_acc, j.skipped_train, j.skipped_test, j.wall_s, j.samples_per_s, j.started_at, "
      "j.finished_at, j.host, j.device, j.config";
  for (const KeySpec& spec : config_schema())
    sql += ", json_extract(j.config, " + quote_literal("$." + spec.key) + ") AS " + quote_identifier(spec.key);
  sql += " FROM sweep_jobs m JOIN jobs j ON j.id = m.job_id";
  return sql;
}

std::string epoch_results_view_sql() {
  return "CREATE VIEW epoch_results AS SELECT m.sweep, m.section, m.variant, m.position, j.id, j.seed, j.status, "
         "e.epoch, "
         "e.train_loss, e.test_loss, e.test_acc, e.test_seq_acc, e.lr, e.samples_per_s, e.wall_s, e.recorded_at, "
         "e.skipped_train, e.skipped_test, e.device "
         "FROM sweep_jobs m JOIN jobs j ON j.id = m.job_id JOIN epochs e ON e.job_id = j.id";
}

void ensure_views(Database& db) {
  replace_view(db, "job_results", job_results_view_sql());
  replace_view(db, "epoch_results", epoch_results_view_sql());
}

}  // namespace ms
