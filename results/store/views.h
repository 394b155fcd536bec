// SQL views shipped in every results database, so that sqlite3, pandas and R users query
// results without reading metasweep's source (docs/analysis.md):
//   job_results    one row per (sweep, job): section, variant, seed, status, final metrics, timing,
//                  the resolved config as JSON, and one column per config key named by its dotted
//                  key ("model.norm", "task.optimizer.lr"; lists as JSON text)
//   epoch_results  one row per (sweep, job, epoch): the job's sweep, section, variant, position, seed and
//                  status beside that epoch's metrics
// They are derived data: the writer (re)creates them whenever their definition changed (a new
// config key), with no schema version change, so older metasweep binaries still read the file.
#pragma once
#include <string>

namespace ms {

class Database;

std::string job_results_view_sql();
std::string epoch_results_view_sql();

void ensure_views(Database& db);  // writer, inside the schema transaction

}  // namespace ms
