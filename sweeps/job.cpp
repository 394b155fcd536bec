// Job ids and sweep expansion (see job.h).
#include "sweeps/job.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <utility>

#include <openssl/sha.h>

#include "sweeps/errors.h"
#include "sweeps/inert_keys.h"
#include "sweeps/resolve.h"

namespace ms {

using nlohmann::json;

std::string canonical_text(const json& config, int64_t seed, const std::vector<KeySpec>& schema) {
  json hashed = config;
  for (const KeySpec& k : schema) {
    if (k.since < 1) continue;
    const json::json_pointer at("/" + [&] {
      std::string path = k.key;
      for (auto& c : path)
        if (c == '.') c = '/';
      return path;
    }());
    if (hashed.contains(at) && hashed.at(at) == k.default_value) {
      hashed.at(at.parent_pointer()).erase(at.back());
      if (hashed.at(at.parent_pointer()).empty() && !at.parent_pointer().empty())
        hashed.at(at.parent_pointer().parent_pointer()).erase(at.parent_pointer().back());
    }
  }
  // nlohmann::json objects are std::map-backed: keys come out sorted at every level.
  return json{{"config", hashed}, {"seed", seed}}.dump();
}

std::string canonical_text(const json& config, int64_t seed) { return canonical_text(config, seed, config_schema()); }

std::string job_id(const json& config, int64_t seed) {
  const std::string text = canonical_text(config, seed);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  char hex[17];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 16);
}

namespace {

bool matches(const json& flat, const Overrides& entry) {
  for (const Override& o : entry) {
    const json& actual = flat.at(o.key);
    if (actual == o.value) continue;
    if (actual.is_array() && !o.value.is_array()) {  // per-stage key given as one value
      bool all = !actual.empty();
      for (const auto& v : actual) all = all && v == o.value;
      if (all) continue;
    }
    return false;
  }
  return true;
}

// What became of one section's variant x cell combinations during expansion.
struct SectionOutcome {
  size_t kept = 0;                  // jobs it contributes
  std::vector<size_t> excluded_by;  // exclude entries that dropped some of it, in file order
  const Variant* first_variant = nullptr;
};

// What became of one variant: combinations that gave only jobs an earlier variant already has.
struct VariantFolds {
  size_t cells = 0;   // combinations not excluded
  size_t folded = 0;  // of those, ones whose every job was already listed
  std::string into;   // the earlier job it repeats, as messages name it (first folded combination)
};

std::string warning_at(const std::string& file, const Mark& m) {
  return file + ":" + std::to_string(m.line) + ":" + std::to_string(m.col) + ": warning: ";
}

std::string earlier_job_name(const std::string& section, const std::string& variant) {
  return section == "baseline" && variant == "baseline" ? std::string("the baseline")
                                                        : "'" + variant + "' (section '" + section + "')";
}

// Refuses exclusions that empty the sweep, the baseline or a section, and sections whose every
// variant repeats an earlier job (DESIGN.md §4: no section is empty), pointing at the exclude
// entry responsible (the first one that dropped part of it) or at the section's first variant.
void check_nothing_vanished(const SweepSpec& spec, const std::vector<Job>& jobs,
                            const std::map<std::string, SectionOutcome>& sections,
                            const std::map<const Variant*, VariantFolds>& folds) {
  auto entries = [&](const std::vector<size_t>& by) {
    std::string also;
    for (size_t i = 1; i < by.size(); ++i)
      also += (also.empty() ? "" : ", ") + std::to_string(spec.excludes[by[i]].mark.line);
    return also.empty() ? std::string() : " (with the exclude entries at line " + also + ")";
  };
  if (jobs.empty()) {  // the baseline never repeats an earlier job: exclusions removed it all
    std::vector<size_t> by;
    for (const auto& [name, s] : sections) by.insert(by.end(), s.excluded_by.begin(), s.excluded_by.end());
    std::sort(by.begin(), by.end());
    by.erase(std::unique(by.begin(), by.end()), by.end());
    const Mark m = spec.excludes.at(by.front()).mark;
    throw SpecError(spec.file, m.line, m.col,
                    "this exclude entry removes every job of the sweep" + entries(by) +
                        ": nothing would run (narrow the entry with more keys, or remove it)");
  }
  for (const std::string& name : spec.sections) {
    const SectionOutcome& s = sections.at(name);
    if (s.kept > 0) continue;
    if (!s.excluded_by.empty()) {
      const Mark m = spec.excludes[s.excluded_by.front()].mark;
      throw SpecError(spec.file, m.line, m.col,
                      name == "baseline"
                          ? "this exclude entry removes the baseline" + entries(s.excluded_by) +
                                ": every table compares against it (narrow the entry, e.g. with the keys of "
                                "the variants it is meant for)"
                          : "this exclude entry removes every job of section '" + name + "'" + entries(s.excluded_by) +
                                ": no section may be empty (remove the section instead)");
    }
    const Variant* v = s.first_variant;
    throw SpecError(spec.file, v->mark.line, v->mark.col,
                    "section '" + name + "' has no jobs of its own: variant '" + v->label + "' is the same job as " +
                        folds.at(v).into +
                        " (a job is listed once, under its first section), so the section would be empty: "
                        "change the variant or remove the section");
  }
}

// The config of `variant` in `cell`. A mistake that only their combination makes (the base's
// heads against a variant's dims) is reported where the key that breaks is written, which may be
// a line every job shares: the message then also names the variant (and cell) that hits it.
json resolved(const SweepSpec& spec, const Variant& variant, const Cell& cell, const Catalog& catalog) {
  try {
    return resolve_config(spec.file, {&spec.base, &variant.overrides, &cell.overrides}, catalog, variant.mark);
  } catch (const SpecError& e) {
    // The variant's own line names it already; a line of the base or of a grid/zip value is
    // shared by many jobs (a cell's value breaks only some variants).
    const bool plain_baseline = variant.overrides.empty() && cell.overrides.empty();
    bool own_line = false;
    for (const Override& o : variant.overrides) own_line = own_line || o.mark.line == e.line();
    if (plain_baseline || own_line) throw;
    const std::string label = cell.label.empty() ? variant.label : variant.label + ", " + cell.label;
    throw SpecError(e.file(), e.line(), e.col(),
                    e.message() + " (for variant '" + label + "' of section '" + variant.section + "', line " +
                        std::to_string(variant.mark.line) + ")");
  }
}

// A cell's baseline config, flat, and without the keys its training never reads (inert_keys.h):
// computed once per cell, compared with every variant of the cell.
struct CellBaseline {
  json flat, effective;
};

// Why a variant's config (`flat`) trains exactly as its cell's baseline (it differs only in keys
// its training never reads), and where the variant sets such a key; none when it does not.
struct InertChange {
  std::string why;
  Mark mark;
};
// `inert` and `effective`: the variant's inert keys and effective config (inert_keys.h).
std::optional<InertChange> inert_change(const Variant& variant, const json& flat, const std::vector<InertKey>& inert,
                                        const json& effective, const CellBaseline& base) {
  if (flat == base.flat || effective != base.effective) return std::nullopt;
  InertChange change{"", variant.mark};
  bool marked = false;
  for (const InertKey& k : inert) {
    if (base.flat.contains(k.key) && base.flat.at(k.key) == flat.at(k.key)) continue;
    if (change.why.find(k.why) == std::string::npos) change.why += (change.why.empty() ? "" : "; ") + k.why;
    for (const Override& o : variant.overrides)
      if (!marked && o.key == k.key) change.mark = o.mark, marked = true;
  }
  return change;
}

}  // namespace

std::vector<Job> expand_sweep(const SweepSpec& spec, const Catalog& catalog, std::vector<std::string>* warnings) {
  std::vector<Job> jobs;
  std::map<std::string, std::pair<std::string, std::string>> seen;  // id -> (section, variant)
  std::map<std::string, SectionOutcome> sections;
  std::map<const Variant*, VariantFolds> folds;
  // Per exclude entry: whether it dropped some combination (was the first entry to match it), and
  // the earlier entry that first took one it matched.
  std::vector<bool> entry_drops(spec.excludes.size(), false);
  std::vector<size_t> shadowed_by(spec.excludes.size(), spec.excludes.size());
  std::map<std::string, CellBaseline> baseline_of_cell;  // cell label -> its (kept) baseline
  // Jobs by what they train (effective config and seed): two variants whose configs differ only in
  // keys training never reads (inert_keys.h) have two ids but train alike; the later one is folded
  // into the earlier as a repeated id is.
  struct Trained {
    std::string section, variant;
    json flat;
  };
  std::map<std::string, Trained> trained;
  for (const Variant& variant : spec.variants) {
    SectionOutcome& outcome = sections[variant.section];
    if (!outcome.first_variant) outcome.first_variant = &variant;
    VariantFolds& fold = folds[&variant];
    struct {
      int cells = 0;  // its kept cells that train exactly as their baseline
      InertChange first;
      std::string first_cell;
    } inert;
    std::optional<InertChange> sets_inert;  // a key the variant sets that its training never reads
    for (const Cell& cell : spec.cells) {
      const json config = resolved(spec, variant, cell, catalog);
      const json flat = flatten_config(config);
      size_t excluded_by = spec.excludes.size();
      for (size_t i = 0; i < spec.excludes.size(); ++i) {
        if (!matches(flat, spec.excludes[i].keys)) continue;
        if (excluded_by == spec.excludes.size()) excluded_by = i;
        if (excluded_by == i)
          entry_drops[i] = true;
        else if (shadowed_by[i] == spec.excludes.size())
          shadowed_by[i] = excluded_by;
      }
      if (excluded_by < spec.excludes.size()) {
        auto& by = outcome.excluded_by;
        if (std::find(by.begin(), by.end(), excluded_by) == by.end()) by.push_back(excluded_by);
        continue;
      }
      // A variant that would train exactly as its cell's (kept) baseline is no ablation: its cells
      // that do are left out, and a variant all of whose cells do is refused below.
      const std::vector<InertKey> inert_here = inert_keys_of_flat(flat, catalog);
      const json effective = effective_flat_config(flat, inert_here);
      if (variant.section == "baseline") {
        baseline_of_cell.emplace(cell.label, CellBaseline{flat, effective});
      } else if (const auto base = baseline_of_cell.find(cell.label); base != baseline_of_cell.end()) {
        if (auto change = inert_change(variant, flat, inert_here, effective, base->second)) {
          if (inert.cells++ == 0) inert.first = std::move(*change), inert.first_cell = cell.label;
          continue;
        }
      }
      if (variant.section != "baseline" && !sets_inert)
        for (const InertKey& k : inert_here)
          for (const Override& o : variant.overrides)
            if (!sets_inert && k.warn_when_set && o.key == k.key) sets_inert = InertChange{k.why, o.mark};
      const std::string effective_text = effective.dump();
      ++fold.cells;
      size_t added = 0;
      std::string repeated;
      for (int64_t seed : spec.seeds) {
        Job job;
        job.id = job_id(config, seed);
        job.sweep = spec.name;
        job.section = variant.section;
        job.variant = cell.label.empty() ? variant.label : variant.label + ", " + cell.label;
        job.cell = cell.label;
        auto [it, inserted] = seen.emplace(job.id, std::make_pair(job.section, job.variant));
        if (!inserted) {
          if (repeated.empty()) repeated = earlier_job_name(it->second.first, it->second.second);
          continue;
        }
        auto [same, first] =
            trained.emplace(effective_text + "#" + std::to_string(seed), Trained{job.section, job.variant, flat});
        // The baseline's cells are never folded (each variant cell is compared with its own cell's
        // baseline); a variant is folded into whichever job trained so first, baseline included.
        if (!first && variant.section != "baseline") {  // another id, the same training
          seen.erase(it);
          if (repeated.empty()) {
            std::string keys;
            for (const auto& [key, value] : flat.items())
              if (!same->second.flat.contains(key) || same->second.flat.at(key) != value)
                keys += (keys.empty() ? "" : ", ") + key;
            repeated = earlier_job_name(same->second.section, same->second.variant) +
                       " in training (they differ only in what neither job's training reads: " + keys + ")";
          }
          continue;
        }
        job.seed = seed;
        job.config = config;
        job.reference = variant.reference;
        jobs.push_back(std::move(job));
        ++added;
      }
      outcome.kept += added;
      if (added == 0) {
        ++fold.folded;
        if (fold.into.empty()) fold.into = repeated;
      }
    }
    if (sets_inert && warnings)
      warnings->push_back(warning_at(spec.file, sets_inert->mark) + "variant '" + variant.label + "' of section '" +
                          variant.section + "' sets a key its training never reads: " + sets_inert->why);
    if (inert.cells > 0) {
      const std::string what = "variant '" + variant.label + "' of section '" + variant.section + "'";
      if (fold.cells == 0)  // every cell an exclusion kept: the variant ablates nothing
        throw SpecError(spec.file, inert.first.mark.line, inert.first.mark.col,
                        what + " trains exactly as the baseline" +
                            (inert.cells > 1 ? " in every grid/zip cell" : std::string()) + ": " + inert.first.why +
                            "; ablate a key its model reads, or remove the variant");
      if (warnings)
        warnings->push_back(warning_at(spec.file, inert.first.mark) + std::to_string(inert.cells) + " of " +
                            std::to_string(inert.cells + fold.cells) + " grid/zip cells of " + what +
                            " train exactly as their cell's baseline and are left out (first '" + inert.first_cell +
                            "': " + inert.first.why + ")");
    }
  }
  check_nothing_vanished(spec, jobs, sections, folds);
  if (warnings) {
    // An entry that drops nothing is almost always a typo in a value, or a stale entry after the
    // ablations changed: the user believes some jobs are gone that will in fact run.
    for (size_t i = 0; i < spec.excludes.size(); ++i) {
      if (entry_drops[i]) continue;
      const bool shadowed = shadowed_by[i] < spec.excludes.size();
      warnings->push_back(warning_at(spec.file, spec.excludes[i].mark) + "this exclude entry drops nothing: " +
                          (shadowed ? "every job it matches is already dropped by an earlier entry (the one at line " +
                                          std::to_string(spec.excludes[shadowed_by[i]].mark.line) + ")"
                                    : "no variant and grid/zip cell has all of its values (check them for a typo)"));
    }
    for (const Variant& v : spec.variants) {
      const VariantFolds& f = folds.at(&v);
      if (f.folded == 0) continue;
      const std::string what = "variant '" + v.label + "' of section '" + v.section + "'";
      warnings->push_back(warning_at(spec.file, v.mark) +
                          (f.folded == f.cells
                               ? what + " is the same job as " + f.into + "; it is listed once, there"
                               : std::to_string(f.folded) + " of " + std::to_string(f.cells) + " grid/zip cells of " +
                                     what + " are the same jobs as earlier ones (first " + f.into +
                                     "); each is listed once, under the first"));
    }
  }
  return jobs;
}

}  // namespace ms
