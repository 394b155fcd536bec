// Parsing a sweep file into a SweepSpec (see sweep_spec.h).
#include "sweeps/sweep_spec.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "sweeps/errors.h"
#include "sweeps/names.h"
#include "sweeps/yaml_value.h"

namespace ms {

namespace {

const std::vector<std::string> kTopKeys = {"name", "description", "base",    "seeds",     "ablations",
                                           "grid", "zip",         "exclude", "reference", "reference_metric"};

std::string labels_of(const Overrides& overrides) {
  std::string label;
  for (const auto& o : overrides) label += (label.empty() ? "" : ", ") + o.key + "=" + label_text(o.value);
  return label;
}

std::string scalar_text(const std::string& file, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) fail_at(file, node, what + " must be text");
  return node.Scalar();
}

std::optional<double> read_reference(const std::string& file, const YAML::Node& node) {
  if (!node) return std::nullopt;
  const KeySpec spec{"reference", ValueKind::Float, 0, {}, -1e300, 1e300, ""};
  return convert_value(file, spec, node, Catalog{}).get<double>();
}

// One variant from the list form: {label: ..., reference: ..., key: value, ...}.
Variant read_list_variant(const std::string& file, const std::string& section, const YAML::Node& item,
                          const Catalog& catalog) {
  if (!item.IsMap()) fail_at(file, item, "each variant of section '" + section + "' must be a mapping of overrides");
  Variant v;
  v.section = section;
  v.mark = mark_of(item);
  flatten_overrides(file, item, "", catalog, v.overrides, {"label", "reference"});
  if (v.overrides.empty()) fail_at(file, item, "variant in section '" + section + "' overrides nothing");
  v.label = item["label"] ? scalar_text(file, item["label"], "label") : labels_of(v.overrides);
  if (auto problem = name_problem(v.label, "label", false))
    fail_at(file, item["label"] ? item["label"] : item, *problem + " (section '" + printable(section) + "')");
  v.reference = read_reference(file, item["reference"]);
  return v;
}

// A list of values for one key, read one value at a time, for grid/zip and the shorthand form:
// one Overrides per value (a mapping value, e.g. model.stem: [{kernel: 7, stride: 4}], sets
// several keys at once).
std::vector<Overrides> read_value_list(const std::string& file, const YAML::Node& key_node, const YAML::Node& values,
                                       const Catalog& catalog) {
  const std::string key = key_node.Scalar();
  if (!values.IsSequence() || values.size() == 0) {
    // What one value looks like as a list of values: [v], or [[...]] for a key whose value is a list.
    const KeySpec* spec = find_key_spec(key);
    std::string hint;
    if (spec && spec->kind == ValueKind::IntList)
      hint = " (each value of " + key + " is itself a list: [[...], [...]])";
    else if (values.IsScalar() && !values.Scalar().empty())
      hint = " (one value is a list too: [" + values.Scalar() + "])";
    const std::string got = values.IsSequence() ? std::string("an empty list")
                            : values.IsScalar() ? "'" + values.Scalar() + "'"
                                                : describe(values);
    fail_at(file, values, key + ": expected a non-empty list of values, got " + got + hint);
  }
  std::vector<Overrides> out;
  for (const auto& value : values) {
    Overrides one;
    add_override(file, key, key_node, value, catalog, one);
    if (one.empty()) fail_at(file, value, key + ": this value sets nothing (an empty mapping)");
    out.push_back(std::move(one));
  }
  return out;
}

std::vector<Cell> product(const std::vector<Cell>& a, const std::vector<Cell>& b) {
  std::vector<Cell> out;
  for (const auto& x : a)
    for (const auto& y : b) {
      Cell c{x.label, x.overrides};
      c.overrides.insert(c.overrides.end(), y.overrides.begin(), y.overrides.end());
      c.label = x.label.empty() ? y.label : (y.label.empty() ? x.label : x.label + ", " + y.label);
      out.push_back(std::move(c));
    }
  return out;
}

// A count as the size message prints it: exact below 1e18, else rounded ("1.2e+21").
std::string count_text(long double n) {
  if (n < 1e18L) return std::to_string(static_cast<int64_t>(n));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3Lg", n);
  return buf;
}

// Refuses a sweep of more than max_jobs jobs (variants x cells x seeds, before exclusions and
// de-duplication), naming the whole count and the --max-jobs that would let it through.
void check_size(const std::string& file, size_t variants, long double cells, size_t seeds, int64_t max_jobs) {
  const long double n = static_cast<long double>(variants) * cells * static_cast<long double>(seeds);
  if (n <= static_cast<long double>(max_jobs)) return;
  const bool fits = n <= 9.2e18L;  // an int64 --max-jobs can still allow it
  throw UsageError(file + ": error: the sweep expands to " + count_text(n) + " jobs (" + std::to_string(variants) +
                   " variants x " + count_text(cells) + " grid/zip cells x " + std::to_string(seeds) +
                   " seeds), more than the limit of " + std::to_string(max_jobs) +
                   (fits ? "; pass --max-jobs " + count_text(n) + " to allow it" : "; no limit allows that many"));
}

// The grid/zip cells the file declares, from the lengths of its lists alone (nothing is
// expanded): a grid multiplies its lists' lengths, a zip entry contributes its first list's.
// Entries of the wrong shape count 1 here and are refused when read.
long double declared_cells(const YAML::Node& root) {
  long double cells = 1;
  const YAML::Node grid = root["grid"];
  if (grid && grid.IsMap())
    for (const auto& kv : grid)
      if (kv.second.IsSequence()) cells *= static_cast<long double>(kv.second.size());
  const YAML::Node zip = root["zip"];
  if (zip && zip.IsSequence())
    for (const auto& group : zip)
      if (group.IsMap() && group.begin() != group.end() && group.begin()->second.IsSequence())
        cells *= static_cast<long double>(group.begin()->second.size());
  return cells;
}

// Where a second YAML document starts, if the text holds one: a "---" line (column 1) after
// content, or content after a "..." line. A plain load reads the first document and drops the
// rest silently; yaml-cpp's LoadAll can loop on malformed text, so the markers are found here,
// lexically (the spec forbids them at column 1 inside any scalar). An empty trailing document
// ("---" and nothing after it) holds no sweep and is no second one.
std::optional<Mark> second_document(const std::string& text) {
  bool content = false, ended = false;
  std::optional<Mark> marker;  // a "---" after content, waiting for content of its own
  int line = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string row = text.substr(start, end - start);
    start = end + 1;
    ++line;
    if (!row.empty() && row.back() == '\r') row.pop_back();
    auto is_marker = [&](const char* m) {
      return row.compare(0, 3, m) == 0 && (row.size() == 3 || row[3] == ' ' || row[3] == '\t');
    };
    std::string rest = row;
    if (is_marker("---")) {
      if (content && !marker) marker = Mark{line, 1};
      rest = row.substr(3);
    } else if (is_marker("...")) {
      ended = content;
      continue;
    } else if (!content && row.rfind('%', 0) == 0) {
      continue;  // a directive (%YAML 1.2) before the first document
    }
    const size_t first = rest.find_first_not_of(" \t");
    if (first == std::string::npos || rest[first] == '#') continue;  // blank or a comment
    if (marker) return marker;
    if (ended) return Mark{line, static_cast<int>(first + 1)};
    content = true;
  }
  return std::nullopt;
}

// Aliases make a YAML file a graph, not a tree: `base: &b {x: *b}` contains itself (every
// recursive walk would overflow the stack), and nested aliases (`b: [*a, *a, ...]`, `c: [*b, *b,
// ...]`) expand exponentially. Before anything walks the document, one walk with the aliases
// expanded refuses a node inside itself and stops counting at kMaxExpandedNodes values.
constexpr size_t kMaxExpandedNodes = 1000000;

void check_alias_graph(const std::string& file, const YAML::Node& node, std::vector<YAML::Node>& ancestors,
                       size_t& visited) {
  if (++visited > kMaxExpandedNodes)
    fail_at(file, node,
            "the file expands to more than " + std::to_string(kMaxExpandedNodes) +
                " values through its aliases (aliases of aliases multiply): write the values out or use fewer levels");
  if (!node.IsMap() && !node.IsSequence()) return;
  for (const YAML::Node& a : ancestors)
    if (a.is(node)) fail_at(file, node, "an alias refers to a node that contains it (the value would be infinite)");
  ancestors.push_back(node);
  if (node.IsMap()) {
    for (const auto& kv : node) {
      check_alias_graph(file, kv.first, ancestors, visited);
      check_alias_graph(file, kv.second, ancestors, visited);
    }
  } else {
    for (const auto& item : node) check_alias_graph(file, item, ancestors, visited);
  }
  ancestors.pop_back();
}

// yaml-cpp reads a quoted scalar whose closing quote never comes to the end of the file and
// reports no error (`name: 'tiny` swallows the rest of the sweep into the name). YAML forbids
// it; every quoted scalar's opening quote here must have its closing one.
bool quote_closes(const std::string& text, size_t open) {
  const char quote = text[open];
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside a single-quoted scalar
      } else {
        return true;
      }
    }
  }
  return false;
}

void check_quotes_close(const std::string& file, const std::string& text, const YAML::Node& node,
                        std::set<size_t>& seen) {
  if (node.IsScalar()) {
    const YAML::Mark mark = node.Mark();
    if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= text.size() || !seen.insert(mark.pos).second) return;
    const char c = text[static_cast<size_t>(mark.pos)];
    if ((c == '\'' || c == '"') && !quote_closes(text, static_cast<size_t>(mark.pos)))
      fail_at(file, node,
              std::string("this quoted value has no closing ") + c + " (it would run to the end of the file)");
  } else if (node.IsMap()) {
    for (const auto& kv : node) {
      check_quotes_close(file, text, kv.first, seen);
      check_quotes_close(file, text, kv.second, seen);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_quotes_close(file, text, item, seen);
  }
}

YAML::Node load_single_document(const std::string& text, const std::string& file) {
  if (auto second = second_document(text))
    throw SpecError(file, second->line, second->col,
                    "a second YAML document starts here: a sweep file holds one sweep (split it into two files, or "
                    "remove the '---' line)");
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw SpecError(file, e.mark.line + 1, e.mark.column + 1, "YAML syntax: " + e.msg);
  }
  std::vector<YAML::Node> ancestors;
  size_t visited = 0;
  check_alias_graph(file, root, ancestors, visited);
  std::set<size_t> seen;
  check_quotes_close(file, text, root, seen);
  return root;
}

// "unknown top-level key 'seed': expected one of ... (did you mean 'seeds'?)"
std::string unknown_top_key_message(const std::string& key) {
  std::string hint;
  size_t best = 3;
  for (const auto& k : kTopKeys) {
    const size_t d = edit_distance(key, k);
    if (d < best) best = d, hint = k;
  }
  return "unknown top-level key '" + key + "': expected one of " + join(kTopKeys, ", ") +
         (hint.empty() ? "" : " (did you mean '" + hint + "'?)");
}

// Every key and scalar of the file is user text (user_text.h), checked before anything reads it:
// YAML escapes ("\x01", "\u001b") put control characters into scalars that the byte check of
// the whole file cannot see. The description is free text (line breaks and tabs allowed); the
// rest is one line. `path` is the dotted key path of `node`.
// A tag the sweep reader gives no meaning to (`!custom 5`, `!!binary aGk=`) would be read as if
// it were not there: refused. Plain ("?"), quoted ("!") and YAML's core types are read as written.
void check_tag(const std::string& file, const YAML::Node& node) {
  const std::string& tag = node.Tag();
  if (tag.empty() || tag == "?" || tag == "!") return;
  static const char* const kCore[] = {"str", "int", "float", "bool", "null", "seq", "map"};
  for (const char* core : kCore)
    if (tag == std::string("tag:yaml.org,2002:") + core) return;
  const std::string shown = tag.rfind("tag:yaml.org,2002:", 0) == 0 ? "!!" + tag.substr(18) : tag;
  fail_at(file, node,
          "the YAML tag " + printable(shown) +
              " means nothing in a sweep file (tags read: !!str, !!int, !!float, !!bool, !!null); leave it out");
}

void check_sweep_text(const std::string& file, const YAML::Node& node, const std::string& path) {
  check_tag(file, node);
  if (node.IsScalar()) {
    const std::string what = path == "name" ? "sweep name" : path.empty() ? "value" : path;
    const TextKind kind = path == "description" ? TextKind::FreeText : TextKind::Line;
    if (auto problem = text_problem(node.Scalar(), what, kind)) fail_at(file, node, *problem);
  } else if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      if (kv.first.IsScalar()) {
        const std::string what = path == "ablations" ? "section name" : "key";
        if (auto problem = text_problem(key, what)) fail_at(file, kv.first, *problem);
      } else {
        check_sweep_text(file, kv.first, path);
      }
      const std::string below = path.empty() ? key : path + "." + key;
      check_sweep_text(file, kv.second, key == "label" ? "label" : below);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_sweep_text(file, item, path);
  }
}

// A grid or zip key, and where the file names it.
struct AxisKey {
  std::string where;  // "grid" or "zip"
  Mark mark;
  int list = 0;  // which of the file's grid/zip lists (numbered in file order)
};

// A cell's values are applied after the variant's, so a key both set would run every cell with
// the grid's value: the variant as written would never run while its label says it did.
// `axis_keys`: every key a grid/zip value sets (values set leaf keys, as variants do).
void check_variants_keep_their_values(const std::string& file, const std::vector<Variant>& variants,
                                      const std::map<std::string, AxisKey>& axis_keys) {
  for (const Variant& v : variants)
    for (const Override& o : v.overrides)
      if (const auto it = axis_keys.find(o.key); it != axis_keys.end())
        throw SpecError(file, o.mark.line, o.mark.col,
                        "variant '" + v.label + "' of section '" + v.section + "' sets " + o.key + ", which " +
                            it->second.where + " (line " + std::to_string(it->second.mark.line) +
                            ") also sets: every cell would replace the variant's value, so it would never run as "
                            "labelled; vary the key in one place only");
}

}  // namespace

SweepSpec parse_sweep(const std::string& text, const std::string& file, const Catalog& catalog, int64_t max_jobs) {
  if (auto flaw = first_text_flaw(text, TextKind::Source))
    throw SpecError(file, flaw->at.line, flaw->at.col, "the file " + flaw->reason);
  YAML::Node root = load_single_document(text, file);
  if (!root.IsMap())
    throw SpecError(file, 1, 1,
                    "a sweep file must be a mapping with at least 'name' (and usually 'base', 'seeds' and "
                    "'ablations')");
  check_sweep_text(file, root, "");
  check_duplicate_keys(file, root);

  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (std::find(kTopKeys.begin(), kTopKeys.end(), key) == kTopKeys.end())
      fail_at(file, kv.first, unknown_top_key_message(key));
  }

  SweepSpec spec;
  spec.source = text;
  spec.file = file;
  if (!root["name"]) throw SpecError(file, 1, 1, "missing 'name' (a unique name for this sweep in the database)");
  if ((root["name"].IsScalar() && root["name"].Scalar().empty()) || root["name"].IsNull())
    fail_at(file, root["name"], "sweep name is empty (a unique name for this sweep in the database)");
  if (!root["name"].IsScalar())
    fail_at(file, root["name"],
            "'name' must be one line of text (a unique name for this sweep in the database), got " +
                std::string(root["name"].IsMap() ? "a mapping" : "a list"));
  spec.name = root["name"].Scalar();
  if (auto problem = name_problem(spec.name, "sweep name", true)) fail_at(file, root["name"], *problem);
  if (root["description"]) spec.description = scalar_text(file, root["description"], "description");
  if (root["reference_metric"]) spec.reference_metric = scalar_text(file, root["reference_metric"], "reference_metric");

  if (const YAML::Node base = root["base"]) {
    spec.base_mark = mark_of(base);
    flatten_overrides(file, base, "", catalog, spec.base);
  }

  if (const YAML::Node seeds = root["seeds"]) {
    // A list only: `seeds: 3` reads as "three seeds" to anyone coming from W&B or Hydra, and as
    // the one seed 3 to a parser; neither guess is safe for a table's mean ± std.
    if (!seeds.IsSequence()) {
      const std::string value = seeds.IsScalar() ? seeds.Scalar() : std::string();
      fail_at(file, seeds,
              "seeds is a list of seed values" +
                  (seeds.IsScalar() && !value.empty() && value.find_first_not_of("0123456789") == std::string::npos
                       ? " (seeds: [" + value + "] for the one seed " + value + "; seeds: [0, 1, 2] for three seeds)"
                       : std::string(" (e.g. seeds: [0, 1, 2])")));
    }
    std::vector<YAML::Node> items;
    for (const auto& s : seeds) items.push_back(s);
    std::set<int64_t> seen;
    const KeySpec seed_spec{"seeds", ValueKind::Int, 0, {}, 0, 2147483647.0, ""};
    for (const auto& s : items) {
      const int64_t v = convert_value(file, seed_spec, s, catalog).get<int64_t>();
      if (!seen.insert(v).second) fail_at(file, s, "seed " + std::to_string(v) + " is listed twice");
      spec.seeds.push_back(v);
    }
    if (spec.seeds.empty()) fail_at(file, seeds, "seeds must list at least one seed");
  } else {
    spec.seeds = {0};
  }

  Variant baseline;
  baseline.section = baseline.label = "baseline";
  baseline.mark = spec.base_mark;
  baseline.reference = read_reference(file, root["reference"]);
  spec.variants.push_back(baseline);
  spec.sections.push_back("baseline");

  if (const YAML::Node ablations = root["ablations"]) {
    if (!ablations.IsMap()) fail_at(file, ablations, "ablations must map section names to variants");
    for (const auto& section : ablations) {
      const std::string name = section.first.Scalar();
      if (auto problem = name_problem(name, "section name", false)) fail_at(file, section.first, *problem);
      for (const auto& earlier : spec.sections)
        if (name_key(earlier) == name_key(name))
          fail_at(file, section.first,
                  "section name '" + name + "' is used twice (as '" + earlier + "')" + spelling_note(earlier, name));
      spec.sections.push_back(name);
      const YAML::Node body = section.second;
      const size_t first = spec.variants.size();
      if (body.IsSequence()) {
        for (const auto& item : body) spec.variants.push_back(read_list_variant(file, name, item, catalog));
      } else if (body.IsMap()) {  // shorthand: key: [v1, v2, ...] gives one variant per value
        for (const auto& kv : body) {
          for (const Overrides& value : read_value_list(file, kv.first, kv.second, catalog)) {
            const Override& o = value.front();
            Variant v;
            v.section = name;
            v.overrides = value;
            v.label = labels_of(v.overrides);
            if (auto problem = name_problem(v.label, "label", false))
              throw SpecError(file, o.mark.line, o.mark.col, *problem + " (section '" + printable(name) + "')");
            v.mark = o.mark;
            spec.variants.push_back(std::move(v));
          }
        }
      } else {
        fail_at(file, body, "section '" + name + "' must be a list of variants or a mapping key: [values]");
      }
      if (spec.variants.size() == first)
        fail_at(file, section.first,
                "section '" + name +
                    "' has no variants (an empty section is a mistake: "
                    "add variants or remove it)");
      // Labels are unique within a section: two variants with one label would merge in every table.
      std::map<std::string, const Variant*> labels;
      for (size_t i = first; i < spec.variants.size(); ++i) {
        const Variant& v = spec.variants[i];
        auto [it, inserted] = labels.emplace(name_key(v.label), &v);
        if (!inserted)
          throw SpecError(file, v.mark.line, v.mark.col,
                          "label '" + v.label + "' is used twice in section '" + name + "' (first at line " +
                              std::to_string(it->second->mark.line) + "): labels must be unique within a section" +
                              spelling_note(it->second->label, v.label));
      }
    }
  }

  // The whole count, before any grid/zip cell is built (a section's variants are bounded by the
  // file's length; the cells multiply).
  check_size(file, spec.variants.size(), declared_cells(root), spec.seeds.size(), max_jobs);
  spec.cells = {Cell{}};
  std::map<std::string, AxisKey> axis_keys;  // every key a grid/zip value sets, where first
  // A key two grid/zip lists set (grid and zip, two zip entries, or two spellings in one): a
  // cell would be labelled with both values and run the last: refused, as a variant setting one.
  int lists = 0;
  auto note_axis_key = [&](const Override& o, const char* where, const YAML::Node& list_key, int list) {
    const auto [it, first] = axis_keys.emplace(o.key, AxisKey{where, mark_of(list_key), list});
    if (!first && it->second.list != list)
      fail_at(file, list_key,
              o.key + " is also set by " + it->second.where + " (line " + std::to_string(it->second.mark.line) +
                  "): a cell would be labelled with both values and run one; vary the key in one place only");
  };
  if (const YAML::Node grid = root["grid"]) {
    if (!grid.IsMap()) fail_at(file, grid, "grid must map dotted keys to lists of values");
    for (const auto& kv : grid) {
      const int list = lists++;
      std::vector<Cell> axis;
      for (const Overrides& value : read_value_list(file, kv.first, kv.second, catalog)) {
        for (const Override& o : value) note_axis_key(o, "grid", kv.first, list);
        axis.push_back(Cell{labels_of(value), value});
        if (auto problem = name_problem(axis.back().label, "grid label", true))
          throw SpecError(file, value.front().mark.line, value.front().mark.col, *problem);
      }
      check_size(file, spec.variants.size(), static_cast<long double>(spec.cells.size()) * axis.size(),
                 spec.seeds.size(), max_jobs);  // a guard: declared_cells counted it already
      spec.cells = product(spec.cells, axis);
    }
  }
  if (const YAML::Node zip = root["zip"]) {
    if (!zip.IsSequence()) fail_at(file, zip, "zip must be a list of mappings of equally long lists");
    for (const auto& group : zip) {
      if (!group.IsMap()) fail_at(file, group, "each zip entry must map dotted keys to lists");
      std::vector<Cell> axis;
      size_t length = 0;
      std::string first_key;
      for (const auto& kv : group) {
        const int list = lists++;
        const auto values = read_value_list(file, kv.first, kv.second, catalog);
        for (const Overrides& value : values)
          for (const Override& o : value) note_axis_key(o, "zip", kv.first, list);
        if (axis.empty()) {
          length = values.size();
          first_key = kv.first.Scalar();
          axis.resize(length);
        } else if (values.size() != length) {
          fail_at(file, kv.second,
                  "zip lists must have equal lengths: " + kv.first.Scalar() + " has " + std::to_string(values.size()) +
                      ", " + first_key + " has " + std::to_string(length));
        }
        for (size_t i = 0; i < length; ++i)
          axis[i].overrides.insert(axis[i].overrides.end(), values[i].begin(), values[i].end());
      }
      for (auto& c : axis) {
        c.label = labels_of(c.overrides);
        if (auto problem = name_problem(c.label, "zip label", true)) fail_at(file, group, *problem);
      }
      check_size(file, spec.variants.size(), static_cast<long double>(spec.cells.size()) * axis.size(),
                 spec.seeds.size(), max_jobs);  // a guard: declared_cells counted it already
      spec.cells = product(spec.cells, axis);
    }
  }

  check_variants_keep_their_values(file, spec.variants, axis_keys);

  if (const YAML::Node exclude = root["exclude"]) {
    if (!exclude.IsSequence()) fail_at(file, exclude, "exclude must be a list of mappings");
    for (const auto& entry : exclude) {
      Exclusion e;
      e.mark = mark_of(entry);
      flatten_overrides(file, entry, "", catalog, e.keys);
      if (e.keys.empty()) fail_at(file, entry, "an exclude entry must name at least one key");
      spec.excludes.push_back(std::move(e));
    }
  }
  return spec;
}

SweepSpec load_sweep_file(const std::string& path, const Catalog& catalog, int64_t max_jobs) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw UsageError(path + ": error: is a folder, not a sweep file");
  std::ifstream in(path);
  if (!in) throw UsageError(path + ": error: cannot open sweep file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_sweep(text.str(), path, catalog, max_jobs);
}

}  // namespace ms
