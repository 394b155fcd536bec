// `--where` expressions: KEY=VALUE, KEY!=VALUE, KEY<V, KEY>V, KEY<=V, KEY>=V ("==" is refused:
// it once read as "=" and silently dropped a value's leading "="). VALUE is trimmed; in double
// quotes it is the text between them exactly, "" standing for one " (variant="=x", section="<5
// epochs", variant=" padded "); a VALUE that is not one whole quoted string is literal text, quotes
// included. An unquoted VALUE that starts with ! < > or = is refused with a hint to quote it.
// KEY is one of
//   - a job field: section, variant, sweep, status, id, seed, device (what trained it);
//   - a metric: test_acc, test_loss, train_loss, test_seq_acc, params, macs, wall_s,
//     samples_per_s, epochs_done, epochs_total, attempts, failures (VALUE must be a number);
//   - a dotted config key (model.norm, task.optimizer.lr, model.mixers, ...).
// Comparison is numeric when VALUE parses as a number, textual otherwise. Job fields compare
// with the text as written (variant=[P,P,A,A] is that label). Per-stage config keys are
// stored as their JSON text: model.mixers=[pool,pool,attention,attention] (or the JSON spelling)
// matches that list exactly, and a single value, model.mixers=pool, matches a config whose
// stages all equal it (a plain `pool` config is stored as [pool,pool,pool,pool]).
// The SQL produced holds only placeholders: the values travel as bound parameters.
#pragma once
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ms {

enum class WhereOp { Eq, Ne, Lt, Gt, Le, Ge };
enum class WhereKeyKind { JobText, JobNumber, Metric, Config };

struct WhereClause {
  std::string expr;  // as written, for error messages
  std::string key;
  WhereOp op = WhereOp::Eq;
  std::string value;  // text as written (trimmed, or unquoted); a bracketed config value as JSON list text
  std::optional<std::string> as_written;  // config keys: a bracketed value before it became JSON
  std::optional<double> number;           // when the value parses as a number
  WhereKeyKind kind = WhereKeyKind::Config;
};

using SqlParam = std::variant<std::string, double>;

struct SqlFilter {
  std::string sql;  // a boolean SQL expression over aliases j (jobs) and m (sweep_jobs)
  std::vector<SqlParam> params;
};

// Throws ms::UsageError naming the expression and the accepted forms.
WhereClause parse_where(const std::string& expr);

// The SQL condition of one clause (placeholders only).
SqlFilter where_sql(const WhereClause& clause);

const std::vector<std::string>& where_job_fields();           // section, variant, sweep, status, id, seed, device
const std::vector<std::string>& where_metrics();              // numeric job columns
std::optional<double> parse_number(const std::string& text);  // whole text, finite

}  // namespace ms
