// YAML -> schema-checked JSON (see yaml_value.h).
#include "sweeps/yaml_value.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "sweeps/errors.h"
#include "sweeps/user_text.h"  // ascii_lower

namespace ms {

using nlohmann::json;

Mark mark_of(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.line < 0) return Mark{};
  return Mark{m.line + 1, m.column + 1};
}

void fail_at(const std::string& file, const YAML::Node& node, const std::string& message) {
  const Mark m = mark_of(node);
  throw SpecError(file, m.line, m.col, message);
}

void check_duplicate_keys(const std::string& file, const YAML::Node& node) {
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (kv.first.IsScalar()) {
        const std::string key = kv.first.Scalar();
        if (key == "<<" && kv.first.Tag() != "!")  // yaml-cpp reads a merge key as the key "<<"
          fail_at(file, kv.first,
                  "YAML merge keys (<<) are not supported: write the keys out (an alias of a whole value, *name, "
                  "works)");
        if (!seen.insert(key).second) fail_at(file, kv.first, "duplicate key '" + key + "'");
      }
      check_duplicate_keys(file, kv.second);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_duplicate_keys(file, item);
  }
}

namespace {

// A scalar the file marks as text: quoted ("no", '1', tag "!") or tagged !!str. YAML reads
// those as strings, never as a number or a boolean; only plain scalars (tag "?") and the
// other explicit tags (!!int, !!bool, ...) may be.
bool is_quoted_or_str(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

// A bound as people write it: 2147483647 and 10000000, not 2.14748e+09 and 1e+07.
std::string bound_text(double v) {
  std::ostringstream s;
  if (std::floor(v) == v && std::fabs(v) < 1e15)
    s << static_cast<long long>(v);
  else
    s << std::setprecision(15) << v;
  return s.str();
}

std::string bounds_text(const KeySpec& spec) {
  if (spec.min > -1e299 && spec.max < 1e299) return "between " + bound_text(spec.min) + " and " + bound_text(spec.max);
  if (spec.min > -1e299) return ">= " + bound_text(spec.min);
  return "<= " + bound_text(spec.max);
}

double parse_number(const std::string& file, const KeySpec& spec, const YAML::Node& node) {
  if (!node.IsScalar()) fail_at(file, node, spec.key + " must be a number, got " + describe(node));
  const std::string text = node.Scalar();
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || is_quoted_or_str(node))
    fail_at(file, node, spec.key + " must be a number, got " + describe(node));
  if (!std::isfinite(v) || (errno == ERANGE && std::fabs(v) >= 1))
    fail_at(file, node, spec.key + " must be a finite number, got " + describe(node));
  if (errno == ERANGE)  // underflow: 1e-400, or a subnormal such as 5e-324
    fail_at(file, node, spec.key + " is too close to 0 to be represented (write 0 or a normal number), got " + text);
  if (v < spec.min || v > spec.max) fail_at(file, node, spec.key + " must be " + bounds_text(spec) + ", got " + text);
  return v == 0 ? 0.0 : v;  // -0 and 0 are one value: the same canonical config and job id
}

json parse_int(const std::string& file, const KeySpec& spec, const YAML::Node& node) {
  const double v = parse_number(file, spec, node);
  if (std::floor(v) != v) fail_at(file, node, spec.key + " must be an integer, got " + node.Scalar());
  // Open-ended ranges (train_subset, ...) stop at 2^53: exact in a double, safe in an int64 (a
  // larger value would overflow the conversion; found by tests/fuzz/sweep_fuzzer).
  constexpr double kMaxExactInt = 9007199254740992.0;
  if (std::fabs(v) > kMaxExactInt)
    fail_at(file, node, spec.key + " must be an integer of magnitude at most 2^53, got " + node.Scalar());
  return static_cast<int64_t>(v);
}

json parse_choice(const std::string& file, const KeySpec& spec, const YAML::Node& node,
                  const std::vector<std::string>& choices) {
  if (!node.IsScalar()) fail_at(file, node, spec.key + " must be a name, got " + describe(node));
  const std::string v = node.Scalar();
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
  // The hint: the choice this is in another letter case (GELU), the name other tools give it
  // (groupnorm, swish), or the closest spelling.
  const std::string lower = ascii_lower(v);
  std::string hint;
  static const std::map<std::string, std::string> kOtherNames = {
      {"groupnorm", "group1"},     {"group_norm", "group1"},        {"gn", "group1"},
      {"ln", "layernorm"},         {"layer_norm", "layernorm"},     {"bn", "batchnorm"},
      {"batch_norm", "batchnorm"}, {"rms_norm", "rmsnorm"},         {"swish", "silu"},
      {"mha", "attention"},        {"self_attention", "attention"}, {"avgpool", "pool"},
      {"pooling", "pool"}};
  const auto known = [&](const std::string& c) {
    return std::find(choices.begin(), choices.end(), c) != choices.end();
  };
  if (auto it = kOtherNames.find(lower); it != kOtherNames.end() && known(it->second)) {
    hint = it->second;
  } else if (known(lower)) {
    hint = lower;
  } else {
    size_t best = 3;
    for (const auto& c : choices) {
      const size_t d = edit_distance(lower, c);
      if (d < best) best = d, hint = c;
    }
  }
  fail_at(file, node,
          "unknown " + spec.key + " '" + v + "': expected one of " + join(choices, ", ") +
              (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

}  // namespace

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "nothing";
  if (is_quoted_or_str(node)) return "the text '" + node.Scalar() + "' (quoted or !!str: write it without quotes)";
  return "'" + node.Scalar() + "'";
}

json convert_value(const std::string& file, const KeySpec& spec, const YAML::Node& node, const Catalog& catalog) {
  const std::vector<std::string> choices = spec.key == "model.mixers" ? catalog.mixer_names() : spec.choices;
  switch (spec.kind) {
    case ValueKind::Int:
      return parse_int(file, spec, node);
    case ValueKind::Float:
      return parse_number(file, spec, node);
    case ValueKind::Bool: {
      // Plain true/false and YAML 1.1's yes/no/on/off (any case); a quoted "no" is text.
      if (node.IsScalar() && !is_quoted_or_str(node)) {
        std::string t = node.Scalar();
        std::transform(t.begin(), t.end(), t.begin(), ::tolower);
        if (t == "true" || t == "yes" || t == "on") return true;
        if (t == "false" || t == "no" || t == "off") return false;
      }
      fail_at(file, node, spec.key + " must be true or false, got " + describe(node));
    }
    case ValueKind::String:
      if (!node.IsScalar()) fail_at(file, node, spec.key + " must be a string, got " + describe(node));
      return node.Scalar();
    case ValueKind::Enum:
      return parse_choice(file, spec, node, choices);
    case ValueKind::IntList: {
      if (!node.IsSequence() || node.size() == 0)
        fail_at(file, node,
                spec.key + " must be a non-empty list of integers, got " +
                    (node.IsSequence() ? std::string("an empty list") : describe(node)));
      json out = json::array();
      for (const auto& item : node) out.push_back(parse_int(file, spec, item));
      return out;
    }
    case ValueKind::StageEnum: {
      if (!node.IsSequence()) return parse_choice(file, spec, node, choices);
      if (node.size() == 0) fail_at(file, node, spec.key + " must not be an empty list");
      json out = json::array();
      for (const auto& item : node) out.push_back(parse_choice(file, spec, item, choices));
      return out;
    }
    case ValueKind::StageInt: {
      auto one = [&](const YAML::Node& n) -> json {
        if (n.IsScalar() && n.Scalar() == "auto") return "auto";
        if (n.IsScalar() && !n.Scalar().empty()) {  // a word that is not auto (AUTO, atuo, foo)
          const std::string text = n.Scalar();
          char* end = nullptr;
          (void)std::strtod(text.c_str(), &end);
          if (end != text.c_str() + text.size() || is_quoted_or_str(n))
            fail_at(file, n,
                    spec.key + " must be auto, an integer " + bounds_text(spec) + " or a list of one per stage, got " +
                        describe(n) + (edit_distance(ascii_lower(text), "auto") <= 2 ? " (did you mean 'auto'?)" : ""));
        }
        return parse_int(file, spec, n);
      };
      if (!node.IsSequence()) return one(node);
      if (node.size() == 0) fail_at(file, node, spec.key + " must not be an empty list");
      json out = json::array();
      for (const auto& item : node) out.push_back(one(item));
      return out;
    }
  }
  fail_at(file, node, "internal: unhandled kind for " + spec.key);
}

void add_override(const std::string& file, const std::string& key, const YAML::Node& key_node, const YAML::Node& value,
                  const Catalog& catalog, Overrides& out) {
  if (const KeySpec* spec = find_key_spec(key)) {
    // One key written twice, dotted and nested (`model.pool_size: 5` beside `model: {pool_size:
    // 7}`), is a duplicate as much as the same spelling twice: neither value may silently win.
    for (const Override& o : out)
      if (o.key == key)
        fail_at(file, key_node,
                "duplicate key '" + key + "' (also set at line " + std::to_string(o.mark.line) + ", column " +
                    std::to_string(o.mark.col) + ")");
    out.push_back({key, convert_value(file, *spec, value, catalog), mark_of(value)});
    return;
  }
  if (value.IsMap() && is_key_prefix(key)) {
    flatten_overrides(file, value, key, catalog, out);
    return;
  }
  if (is_key_prefix(key)) {  // `optimizer: 5`: a group of keys given a value
    std::string example;
    for (const auto& k : config_schema())
      if (k.key.rfind(key + ".", 0) == 0) {
        example = k.key.substr(key.size() + 1);
        break;
      }
    fail_at(file, value,
            key + " is a group of keys and takes a mapping (e.g. {" + example + ": ...}), got " + describe(value));
  }
  if (key == "label" || key == "reference")  // a variant's own keys, where no variant is written
    fail_at(file, key_node,
            key + " belongs to a variant written as a mapping in an ablations section (- {" + key +
                ": ..., model.norm: ...})" +
                (key == "reference" ? "; the baseline's published figure is the top-level 'reference'" : "") +
                "; it means nothing here");
  const std::string hint = closest_key(key);
  fail_at(file, key_node, "unknown key '" + key + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

void flatten_overrides(const std::string& file, const YAML::Node& mapping, const std::string& prefix,
                       const Catalog& catalog, Overrides& out, const std::vector<std::string>& ignore) {
  if (!mapping.IsMap()) fail_at(file, mapping, (prefix.empty() ? "value" : prefix) + " must be a mapping");
  for (const auto& kv : mapping) {
    if (!kv.first.IsScalar()) fail_at(file, kv.first, "keys must be plain names");
    const std::string name = kv.first.Scalar();
    if (prefix.empty() && std::find(ignore.begin(), ignore.end(), name) != ignore.end()) continue;
    add_override(file, prefix.empty() ? name : prefix + "." + name, kv.first, kv.second, catalog, out);
  }
}

std::string label_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string s = "[";
    for (size_t i = 0; i < value.size(); ++i) s += (i ? "," : "") + label_text(value[i]);
    return s + "]";
  }
  // A whole number in a float key prints as the integer the file most likely wrote: mlp_ratio 2
  // reads "2", not "2.0" (and 2 and 2.0 are one config, so they get one label).
  if (value.is_number_float()) {
    const double v = value.get<double>();
    if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  }
  return value.dump();
}

}  // namespace ms
