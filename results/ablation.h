// The paper-style ablation table of one sweep: section by section in the sweep file's order,
// each variant's test accuracy mean ± std over seeds (n), Δ vs the baseline in points, a t-test
// against the baseline (paired by seed when the seeds match, Welch otherwise), params (M),
// MACs (G), throughput; best per section in bold; diverged/failed shown as such; optional
// published reference values with the Spearman correlation between the two orderings.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "query.h"
#include "stats.h"
#include "store.h"
#include "text_table.h"

namespace ms {

struct AblationRow {
  GroupRow group;                  // section + variant group
  std::string section, variant;
  std::optional<Summary> acc;      // over done seeds
  std::optional<double> delta_pts; // (mean - baseline mean) * 100
  std::optional<TTest> test;       // vs the baseline
  std::optional<double> reference;
  bool best = false;               // best mean accuracy of its section
};

struct AblationTable {
  std::string sweep, description, reference_metric;
  std::vector<AblationRow> rows;   // baseline first, then sections in file order
  std::vector<size_t> section_starts;
  std::optional<double> spearman;  // ours vs the reference, over variants with both
  int reference_n = 0;
};

AblationTable build_ablation(const ResultStore& store, const std::string& sweep);

enum class TableStyle { Markdown, Latex, Html };
// The cells for one style (bold best, ± and Δ spelled for the target).
TextTable ablation_text_table(const AblationTable& t, TableStyle style);

std::string ablation_markdown(const AblationTable& t);
std::string ablation_latex(const AblationTable& t);   // a complete table environment
std::string ablation_html(const AblationTable& t);

// What `make demo` prints: the markdown ablation table of a sweep in a database.
std::string ablation_markdown(const std::string& db_path, const std::string& sweep);

}  // namespace ms
