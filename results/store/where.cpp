// Parsing --where expressions into bound SQL conditions (see where.h).
#include "results/store/where.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "sweeps/config_schema.h"
#include "sweeps/errors.h"
#include "sweeps/unicode_nfd.h"
#include "sweeps/user_text.h"

namespace ms {

namespace {

const char* kForms =
    "expected KEY=VALUE, KEY!=VALUE, KEY<V, KEY>V, KEY<=V or KEY>=V (VALUE may be in double quotes, "
    "\"\" for a quote in it), where KEY is a dotted config "
    "key (e.g. model.norm), section, variant, sweep, status, id, seed, device, or a metric (test_acc, "
    "test_loss, train_loss, test_seq_acc, params, macs, wall_s, samples_per_s, epochs_done, "
    "epochs_total, attempts, failures)";

[[noreturn]] void malformed(const std::string& expr, const std::string& why) {
  throw UsageError("--where '" + expr + "': " + why + "; " + kForms);
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool valid_key(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  for (char c : key)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  return key.find("..") == std::string::npos;
}

// "[pool, pool, attention]" or JSON "[\"pool\",...]" -> the JSON text the store keeps.
std::string normalise_list(const std::string& value) {
  nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_array()) return parsed.dump();
  nlohmann::json list = nlohmann::json::array();
  std::string inner = value.substr(1, value.size() - 2);
  size_t start = 0;
  while (start <= inner.size()) {
    size_t comma = inner.find(',', start);
    if (comma == std::string::npos) comma = inner.size();
    std::string item = trim(inner.substr(start, comma - start));
    if (item.size() >= 2 && (item.front() == '"' || item.front() == '\'') && item.back() == item.front())
      item = item.substr(1, item.size() - 2);
    if (auto n = parse_number(item)) {
      list.push_back(std::floor(*n) == *n && std::fabs(*n) < 1e15 ? nlohmann::json(static_cast<int64_t>(*n))
                                                                  : nlohmann::json(*n));
    } else if (!item.empty()) {
      list.push_back(item);
    }
    start = comma + 1;
  }
  return list.dump();
}

// A value in double quotes ("=x", "<5 epochs", " padded "): the text between them exactly, a
// doubled "" standing for one ". Nothing when `written` is not one whole quoted string (then it
// is literal text, quotes and all: "a" b is the text "a" b).
std::optional<std::string> unquote(const std::string& written) {
  if (written.size() < 2 || written.front() != '"' || written.back() != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < written.size(); ++i) {
    if (written[i] == '"') {
      if (i + 2 < written.size() && written[i + 1] == '"') {
        out += '"', ++i;
        continue;
      }
      return std::nullopt;  // a lone quote inside: not one quoted string
    }
    out += written[i];
  }
  return out;
}

const char* op_sql(WhereOp op) {
  switch (op) {
    case WhereOp::Eq:
      return "=";
    case WhereOp::Ne:
      return "!=";
    case WhereOp::Lt:
      return "<";
    case WhereOp::Gt:
      return ">";
    case WhereOp::Le:
      return "<=";
    case WhereOp::Ge:
      return ">=";
  }
  return "=";
}

std::string column_of(const std::string& key) {
  if (key == "section" || key == "variant" || key == "sweep") return "m." + key;
  return "j." + key;
}

}  // namespace

const std::vector<std::string>& where_job_fields() {
  static const std::vector<std::string> fields = {"section", "variant", "sweep", "status", "id", "seed", "device"};
  return fields;
}

const std::vector<std::string>& where_metrics() {
  static const std::vector<std::string> metrics = {"test_acc",    "test_loss",    "train_loss", "test_seq_acc",
                                                   "params",      "macs",         "wall_s",     "samples_per_s",
                                                   "epochs_done", "epochs_total", "attempts",   "failures"};
  return metrics;
}

std::optional<double> parse_number(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front()))) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

namespace {
// A filter on a config key the schema knows compares with a value of its type: a number for
// numeric keys (task.epochs<abc matched every job, task.optimizer.lr>1e999 none, both silently),
// one of the accepted names for an enumeration (model.norm=lyernorm matched nothing without a
// word). Keys the schema does not know (an older release's) are left to the database.
void check_config_value(const std::string& expr, const WhereClause& c, bool list) {
  const KeySpec* spec = find_key_spec(c.key);
  if (!spec) return;
  const bool numeric = spec->kind == ValueKind::Int || spec->kind == ValueKind::Float;
  if (numeric && !c.number) malformed(expr, c.key + " compares with a finite number, got '" + c.value + "'");
  if (spec->kind == ValueKind::Bool && c.value != "true" && c.value != "false")
    malformed(expr, c.key + " is true or false, got '" + c.value + "'");
  const bool named = spec->kind == ValueKind::Enum || spec->kind == ValueKind::StageEnum;
  if (!named || spec->choices.empty() || list || c.op == WhereOp::Lt || c.op == WhereOp::Le || c.op == WhereOp::Gt ||
      c.op == WhereOp::Ge)
    return;
  if (std::find(spec->choices.begin(), spec->choices.end(), c.value) != spec->choices.end()) return;
  std::string hint;
  size_t best = 3;
  for (const auto& choice : spec->choices)
    if (const size_t d = edit_distance(c.value, choice); d < best) best = d, hint = choice;
  malformed(expr, "unknown " + c.key + " '" + c.value + "': expected one of " + join(spec->choices, ", ") +
                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}
}  // namespace

WhereClause parse_where(const std::string& expr) {
  // Well-formed UTF-8 (sweeps/user_text.h): a value may end up in JSON text (lists), and
  // nlohmann::json refuses to dump anything else.
  if (!valid_utf8(expr)) throw UsageError("--where: the expression is not valid UTF-8; " + std::string(kForms));
  const size_t at = expr.find_first_of("!<>=");
  if (at == std::string::npos)
    malformed(expr,
              "no comparison operator (quote the whole filter, as in --where 'test_acc>0.8': unquoted, "
              "a shell reads > and < as redirections)");
  WhereClause c;
  c.expr = expr;
  c.key = trim(expr.substr(0, at));
  size_t value_at = at + 1;
  const char first = expr[at];
  const bool then_eq = at + 1 < expr.size() && expr[at + 1] == '=';
  if (first == '!') {
    if (!then_eq) malformed(expr, "'!' must be followed by '='");
    c.op = WhereOp::Ne;
    value_at = at + 2;
  } else if (first == '<' || first == '>') {
    c.op = first == '<' ? (then_eq ? WhereOp::Le : WhereOp::Lt) : (then_eq ? WhereOp::Ge : WhereOp::Gt);
    value_at = then_eq ? at + 2 : at + 1;
  } else {
    c.op = WhereOp::Eq;
  }
  if (c.key.empty()) malformed(expr, "missing key");
  if (!valid_key(c.key)) malformed(expr, "'" + c.key + "' is not a key (letters, digits, '_' and '.')");
  const std::string written = trim(expr.substr(value_at));
  if (written.empty()) malformed(expr, "missing value");
  if (first == '=' && then_eq)  // once read as "=", which dropped a value's leading '='
    malformed(expr, "'==' is not an operator: write '" + c.key +
                        "=VALUE' (for a value that starts with '=', quote it: " + c.key + "=\"=...\")");
  if (auto quoted = unquote(written)) {
    c.value = *quoted;
  } else {
    if (std::string("!<>=").find(written.front()) != std::string::npos)
      malformed(expr, "unknown operator '" + expr.substr(at, value_at - at + 1) + "' (for a value that starts with " +
                          written.front() + ", quote it: " + c.key + expr.substr(at, value_at - at) + "\"" + written +
                          "\")");
    c.value = written;
  }
  if (c.value.empty()) malformed(expr, "missing value");
  c.number = parse_number(c.value);

  const auto& fields = where_job_fields();
  const auto& metrics = where_metrics();
  if (std::find(metrics.begin(), metrics.end(), c.key) != metrics.end()) {
    c.kind = WhereKeyKind::Metric;
    if (!c.number) malformed(expr, "metric '" + c.key + "' compares with a number, got '" + c.value + "'");
    // Accuracies are stored as fractions (the report shows percent): test_acc>80 matched nothing
    // without a word, test_acc<80 everything.
    if ((c.key == "test_acc" || c.key == "test_seq_acc") && std::fabs(*c.number) > 1)
      malformed(expr, c.key + " is a fraction between 0 and 1 (as stored; reports show percent): for " + c.value +
                          "% write " + c.key + expr.substr(at, value_at - at) + nlohmann::json(*c.number / 100).dump());
  } else if (c.key == "seed") {
    c.kind = WhereKeyKind::JobNumber;
    if (!c.number) malformed(expr, "seed compares with a number, got '" + c.value + "'");
  } else if (std::find(fields.begin(), fields.end(), c.key) != fields.end()) {
    c.kind = WhereKeyKind::JobText;
  } else if (is_key_prefix(c.key)) {  // model.stem, task.optimizer: a group, not one value
    malformed(expr, "'" + c.key + "' is a group of keys: compare one of them (" + key_group_members(c.key) + ")");
  } else if (c.key.find('.') != std::string::npos) {
    c.kind = WhereKeyKind::Config;
    const bool list = c.value.size() >= 2 && c.value.front() == '[' && c.value.back() == ']';
    if (list) {
      c.as_written = c.value;  // a text value may hold brackets too (task.data_dir=[x])
      c.value = normalise_list(c.value);
    }
    check_config_value(expr, c, list);
  } else {
    std::string hint = closest_key(c.key);
    malformed(expr, "unknown key '" + c.key + "'" + (hint.empty() ? "" : " (did you mean " + hint + "?)"));
  }
  return c;
}

SqlFilter where_sql(const WhereClause& c) {
  SqlFilter f;
  const bool ordering = c.op != WhereOp::Eq && c.op != WhereOp::Ne;
  if (c.kind == WhereKeyKind::Metric || c.kind == WhereKeyKind::JobNumber) {
    f.sql = "(" + column_of(c.key) + " " + op_sql(c.op) + " ?)";
    f.params.push_back(*c.number);
    return f;
  }
  // A job id may be given by a prefix, as `train --job` and `forget --job` take it.
  if (c.kind == WhereKeyKind::JobText && c.key == "id" && !ordering && c.value.size() < 16) {
    f.sql = "(substr(" + column_of(c.key) + ", 1, ?) " + op_sql(c.op) + " ?)";
    f.params.push_back(static_cast<double>(c.value.size()));
    f.params.push_back(c.value);
    return f;
  }
  // Names (section, variant, sweep) are one name in any Unicode encoding, as the sweep file
  // counts them: "café" typed precomposed finds a label stored decomposed.
  if (c.kind == WhereKeyKind::JobText && !ordering && column_of(c.key).rfind("m.", 0) == 0) {
    f.sql = "(ms_nfd(" + column_of(c.key) + ") " + op_sql(c.op) + " ?)";
    f.params.push_back(nfd(c.value));
    return f;
  }
  if (c.kind == WhereKeyKind::JobText) {
    f.sql = "(" + column_of(c.key) + " " + op_sql(c.op) + " ?)";
    f.params.push_back(c.value);
    return f;
  }
  // Config key: one row of config_values per (job, key).
  const std::string exists = "EXISTS (SELECT 1 FROM config_values c WHERE c.job_id = j.id AND c.key = ? AND ";
  f.params.push_back(c.key);
  if (!ordering) {
    std::string match = "(c.value = ? OR c.uniform = ?";
    f.params.push_back(c.value);
    f.params.push_back(c.value);
    if (c.as_written) {
      match += " OR c.value = ?";
      f.params.push_back(*c.as_written);
    }
    if (c.number) {
      match += " OR c.num = ?";
      f.params.push_back(*c.number);
    }
    match += ")";
    f.sql = std::string(c.op == WhereOp::Ne ? "NOT " : "") + exists + match + ")";
    return f;
  }
  if (c.number) {
    f.sql = exists + "c.num " + op_sql(c.op) + " ?)";
    f.params.push_back(*c.number);
  } else {
    f.sql = exists + "COALESCE(c.uniform, c.value) " + op_sql(c.op) + " ?)";
    f.params.push_back(c.value);
  }
  return f;
}

}  // namespace ms
