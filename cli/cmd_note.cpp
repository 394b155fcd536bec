// `metasweep note --db FILE --sweep NAME [TEXT]`: attaches a note to a sweep, or lists its notes
// (with their dates) when no text is given. The report shows them too.
#include <ctime>
#include <iostream>

#include "cli/options.h"
#include "results/store/store.h"
#include "results/store/sweep_admin.h"
#include "sweeps/errors.h"

namespace ms::cli {

int cmd_note(const Args& args) {
  po::options_description options("note options");
  std::string db, sweep, text;
  options.add_options()("db", po::value(&db)->required(), "results database (SQLite)")(
      "sweep", po::value(&sweep)->required(), "the sweep")("text", po::value(&text), "the note (none: list them)");
  po::positional_options_description positional;
  positional.add("text", 1);
  po::variables_map vm;
  if (!parse_options(args,
                     "usage: metasweep note --db FILE --sweep NAME [TEXT]\n\nAdds TEXT as a note to the sweep, "
                     "or lists the sweep's notes. TEXT may span lines; one starting with '-'\ngoes after -- "
                     "(note --db FILE --sweep NAME -- '- a point'). Adding is refused while a run\nuses FILE; "
                     "listing is not.",
                     options, positional, vm, {"text"}))
    return 0;
  sweep = ResultStore(db, OpenMode::ReadOnly).sweep_named(sweep);  // as stored, in whichever Unicode encoding
  if (vm.count("text")) {
    add_note(db, sweep, text);
    return 0;
  }
  const ResultStore store(db, OpenMode::ReadOnly);
  if (!store.has_sweep(sweep)) throw UsageError("no sweep '" + sweep + "' in " + db);
  for (const SweepNote& n : sweep_notes(store, sweep)) {
    const std::time_t t = static_cast<std::time_t>(n.created_at);
    std::tm tm{};
    localtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    std::cout << when << "  " << note_terminal_text(n.text, 18) << "\n";
  }
  return 0;
}

}  // namespace ms::cli
