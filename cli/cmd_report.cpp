// `metasweep report --db FILE --sweep NAME --out DIR`: writes report.md, report.html (plots
// inline) and table.tex, then prints the markdown ablation table. Read-only on the database.
#include <iostream>

#include "ablation.h"
#include "options.h"
#include "report.h"
#include "store.h"

namespace ms::cli {

int cmd_report(const Args& args) {
  po::options_description options("report options");
  std::string db, sweep, out;
  options.add_options()("db", po::value(&db)->required(), "results database (SQLite)")(
      "sweep", po::value(&sweep)->required(), "the sweep to report on")(
      "out", po::value(&out)->required(), "output directory (created when missing)");
  po::variables_map vm;
  if (!parse_options(args, "usage: metasweep report --db FILE --sweep NAME --out DIR", options, {}, vm)) return 0;
  ResultStore store(db, OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, sweep, out);
  std::cout << ablation_markdown(build_ablation(store, sweep)) << "\n";
  if (!files.plot_note.empty()) std::cerr << "metasweep report: " << files.plot_note << "\n";
  std::cout << "wrote " << files.markdown << ", " << files.html << ", " << files.latex << " (" << files.plots.size()
            << " plots)\n";
  return 0;
}

}  // namespace ms::cli
