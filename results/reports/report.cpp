// Report generation: ablation table + gnuplot figures into markdown, HTML and LaTeX files.
#include "results/reports/report.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include <sys/stat.h>

#include "results/reports/ablation.h"
#include "results/reports/plots.h"
#include "results/reports/report_curves.h"
#include "results/reports/sweep_progress.h"
#include "results/store/run_lock.h"
#include "results/store/sqlite_db.h"
#include "results/store/sweep_admin.h"
#include "sweeps/errors.h"

namespace ms {

namespace fs = std::filesystem;

namespace {

struct Figure {
  std::string name, caption, svg;
};

// A section with more rows than a figure can tell apart (a large grid: one row per variant and
// cell) is drawn with its kMostRows best rows by the table's metric; the caption says so.
constexpr size_t kMostRows = 12;
// A scatter names each point in its key: past kMostPoints it would be taller than it is wide.
constexpr size_t kMostPoints = 40;

// The rows of [begin, end) with a value, best first, at most kMostRows, back in table order.
std::vector<size_t> best_rows(const AblationTable& t, size_t begin, size_t end) {
  std::vector<size_t> rows;
  for (size_t i = begin; i < end; ++i)
    if (t.rows[i].value) rows.push_back(i);
  std::stable_sort(rows.begin(), rows.end(),
                   [&](size_t a, size_t b) { return t.metric.better(t.rows[a].value->mean, t.rows[b].value->mean); });
  if (rows.size() > kMostRows) rows.resize(kMostRows);
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<Figure> draw_figures(const ResultStore& store, const AblationTable& t, std::vector<std::string>& notes) {
  std::vector<Figure> figures;
  std::map<std::string, Series> by_macs, by_params;
  std::vector<std::string> order;
  for (size_t s = 0; s < t.section_starts.size(); ++s) {
    const size_t begin = t.section_starts[s],
                 end = s + 1 < t.section_starts.size() ? t.section_starts[s + 1] : t.rows.size();
    const std::string& section = t.rows[begin].section;
    const double scale = t.metric.scale();
    Series dots;  // per variant: every done seed, mean ± std
    auto add_column = [&](const AblationRow& r) {
      dots.labels.push_back(r.variant);
      dots.y.push_back(r.value->mean * scale);
      dots.err.push_back(r.value->n > 1 ? r.value->std * scale : 0);
      dots.points.emplace_back();
      for (const auto& [seed, v] : done_by_seed(r.group, t.metric.name)) dots.points.back().push_back(v * scale);
    };
    // Too many rows to tell apart: the curves and the dots show the best kMostRows.
    const bool cut = end - begin > kMostRows;
    const std::vector<size_t> shown = cut ? best_rows(t, begin, end) : std::vector<size_t>{};
    const std::string shown_note = cut ? " — the " + std::to_string(shown.size()) + " best of its " +
                                             std::to_string(end - begin) + " rows by " + t.metric.title +
                                             "; the table has them all"
                                       : "";
    // The baseline each row is compared with: one dashed line, or (grid/zip cells) one column per
    // cell; of a section drawn in part, the columns of the shown rows' cells.
    const std::vector<const AblationRow*> baselines = baselines_of(t, begin, end);
    for (const AblationRow* b : cut ? baselines_of(t, shown) : baselines) add_column(*b);
    const bool with_baseline = baselines.size() == 1;
    for (size_t i = begin; i < end; ++i) {
      const AblationRow& r = t.rows[i];
      if (r.value) {
        if (!cut) add_column(r);
        auto macs = r.group.metrics.find("macs"), params = r.group.metrics.find("params");
        if (!by_macs.count(section)) order.push_back(section);
        Series& sm = by_macs[section];
        Series& sp = by_params[section];
        sm.title = sp.title = section;
        if (macs != r.group.metrics.end()) {
          sm.x.push_back(macs->second.mean);
          sm.y.push_back(r.value->mean * scale);
          sm.labels.push_back(r.variant);
        }
        if (params != r.group.metrics.end()) {
          sp.x.push_back(params->second.mean);
          sp.y.push_back(r.value->mean * scale);
          sp.labels.push_back(r.variant);
        }
      }
    }
    for (size_t i : shown) add_column(t.rows[i]);
    const std::string slug = "section" + std::to_string(s);
    for (CurveFigure& f : curve_figures(store, t, begin, end, slug, cut ? &shown : nullptr, shown_note))
      figures.push_back({std::move(f.name), std::move(f.caption), std::move(f.svg)});
    if (!dots.y.empty() && section != "baseline")
      figures.push_back({slug + "_dots",
                         "Final " + t.metric.title + ": " + section + " (every seed, mean ± std" +
                             (with_baseline       ? "; dashed: the baseline's mean)"
                              : baselines.empty() ? ")"
                                                  : "; first columns: the baseline of each grid/zip cell)") +
                             shown_note,
                         plot_dots(section + ": final " + t.metric.title, t.metric.axis(), dots, with_baseline,
                                   t.metric.percent ? 0.5 : 0.005)});
  }
  std::vector<Series> macs, params;
  for (const auto& section : order) {
    if (!by_macs[section].x.empty()) macs.push_back(by_macs[section]);
    if (!by_params[section].x.empty()) params.push_back(by_params[section]);
  }
  // Each axis in the unit its largest value reads best in (0.0028 G MACs is 2.8 M).
  auto in_unit = [](std::vector<Series> series, bool g, std::string& suffix) {
    double largest = 0;
    for (const auto& s : series)
      for (double x : s.x) largest = std::max(largest, x);
    const AxisUnit unit = count_unit(largest, g);
    for (auto& s : series)
      for (double& x : s.x) x /= unit.scale;
    suffix = unit.suffix;
    return series;
  };
  size_t points = 0;
  for (const auto& s : macs) points += s.x.size();
  if (points > kMostPoints) {  // a key naming each point would dwarf the plot
    notes.push_back("No accuracy-vs-cost scatter plots: " + std::to_string(points) + " variants (over " +
                    std::to_string(kMostPoints) + "); the table gives each one's params and MACs.");
    macs.clear();
    params.clear();
  }
  std::string unit;
  const std::string title =
      std::string(1, static_cast<char>(std::toupper(t.metric.title[0]))) + t.metric.title.substr(1);
  if (!macs.empty()) {
    macs = in_unit(macs, true, unit);
    figures.push_back({"acc_vs_macs", title + " vs MACs per example (numbers: see the key)",
                       plot_scatter(t.metric.title + " vs MACs", unit.empty() ? "MACs" : "MACs (" + unit + ")",
                                    t.metric.axis(), macs, false)});
  }
  if (!params.empty()) {
    params = in_unit(params, false, unit);
    figures.push_back(
        {"acc_vs_params", title + " vs parameters (numbers: see the key)",
         plot_scatter(t.metric.title + " vs parameters", unit.empty() ? "params" : "params (" + unit + ")",
                      t.metric.axis(), params, false)});
  }
  return figures;
}

const char* kCss =
    R"(body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:1240px;margin:2em auto;padding:0 1.5em;color:#222;line-height:1.45}
h1{font-size:1.6em;border-bottom:2px solid #ddd;padding-bottom:.3em}h2{font-size:1.25em;margin-top:2em}
.scroll{overflow-x:auto}
table.ablation{border-collapse:collapse;font-size:.9em;margin:1em 0;border-top:2px solid #333;border-bottom:2px solid #333}
table.ablation th{border-bottom:1px solid #333;padding:.4em .5em;vertical-align:bottom;white-space:nowrap}table.ablation th.reference{white-space:normal;min-width:6em}
table.ablation td{padding:.3em .5em;white-space:nowrap}table.ablation td.status{white-space:normal;min-width:9.5em}
table.ablation td.txt{white-space:normal;overflow-wrap:anywhere;min-width:7em;max-width:26em}
table.ablation .num{text-align:right;font-variant-numeric:tabular-nums}table.ablation .txt{text-align:left}
table.ablation tr.section td{border-top:1px solid #999}table.ablation tbody tr:hover{background:#f4f7fb}
.note{color:#555;font-size:.88em}.free{white-space:pre-wrap;tab-size:4}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:1.5em}
figure{margin:0;min-width:0}figure svg{display:block;width:100%;height:auto;border:1px solid #e4e4e4}
figcaption{font-size:.88em;color:#444;text-align:center;margin-top:.3em}pre{background:#f6f8fa;padding:1em;overflow-x:auto;font-size:.85em}
)";

// Gives each inline SVG its own ids so several gnuplot figures can share one HTML page: every
// id='NAME' the SVG defines, and every '#NAME' / "#NAME" / (#NAME) reference to one of those, gets
// the prefix fINDEX_. Colours such as fill="#ffffff" are left alone (no element has that id).
bool is_id_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }

std::string unique_ids(const std::string& svg, size_t index) {
  const std::string prefix = "f" + std::to_string(index) + "_";
  std::set<std::string> ids;
  for (const char* attr : {"id='", "id=\""})
    for (size_t at = svg.find(attr); at != std::string::npos; at = svg.find(attr, at + 1)) {
      if (at > 0 && is_id_char(svg[at - 1])) continue;  // e.g. "grid='" is not an id attribute
      const size_t begin = at + 4, end = svg.find(svg[at + 3], begin);
      if (end != std::string::npos) ids.insert(svg.substr(begin, end - begin));
    }
  std::string out;
  out.reserve(svg.size() + svg.size() / 20);
  for (size_t i = 0; i < svg.size();) {
    const bool id_value = svg.compare(i, 4, "id='") == 0 || svg.compare(i, 4, "id=\"") == 0;
    const bool reference = svg[i] == '#' && i > 0 && (svg[i - 1] == '\'' || svg[i - 1] == '"' || svg[i - 1] == '(');
    if ((id_value && (i == 0 || !is_id_char(svg[i - 1]))) || reference) {
      const size_t name = i + (reference ? 1 : 4);
      size_t end = name;
      while (end < svg.size() && is_id_char(svg[end])) ++end;
      out.append(svg, i, name - i);
      if (ids.count(svg.substr(name, end - name))) out += prefix;
      out.append(svg, name, end - name);
      i = end;
    } else {
      out += svg[i++];
    }
  }
  return out;
}

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M", std::localtime(&now));
  return buffer;
}

std::string note_date(const SweepNote& n) {
  const std::time_t t = static_cast<std::time_t>(n.created_at);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M", std::localtime(&t));
  return buffer;
}

// A note as one markdown list item: its lines kept, markdown's own characters escaped.
std::string markdown_note(const SweepNote& n) {
  return note_date(n) + ": " + markdown_lines(n.text, "  ");  // one list item, its line breaks kept
}

// Writes a temp file beside `path` and renames it over `path`: a symlink at `path` is replaced,
// never followed, and a reader never sees half a file.
void write_file(const fs::path& path, const std::string& text) {
  std::string temp = (path.parent_path() / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(temp.data());
  if (fd < 0) throw std::runtime_error(path.string() + ": cannot write: " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw std::runtime_error(path.string() + ": cannot write: " + std::strerror(error));
    }
    done += static_cast<size_t>(n);
  }
  fchmod(fd, 0644);
  if (::close(fd) != 0 || std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw std::runtime_error(path.string() + ": cannot write: " + std::strerror(error));
  }
}

// The output folder: created when missing; a clear error for an empty path, a dangling symlink
// or a file in the way.
fs::path output_dir(const std::string& out_dir) {
  if (out_dir.empty()) throw UsageError("--out: the path is empty: give the folder to write the report into");
  const fs::path dir(out_dir);
  std::error_code ec;
  const fs::file_status link = fs::symlink_status(dir, ec);
  if (fs::is_symlink(link) && !fs::exists(dir, ec))
    throw UsageError("--out " + out_dir + " is a symlink to " + fs::read_symlink(dir, ec).string() +
                     ", which does not exist: create that folder or give another --out");
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw UsageError("--out " + out_dir + " exists and is not a folder");
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("--out " + out_dir + ": cannot create the folder: " + ec.message());
  return dir;
}

// Replaces DIR/plots with a folder holding exactly `figures` (none left from an earlier report):
// the new set is written to a temp folder and renamed into place.
std::vector<std::string> replace_plots(const fs::path& dir,
                                       const std::vector<std::pair<std::string, std::string>>& figures) {
  std::string fresh = (dir / ".plots.new-XXXXXX").string();
  if (!mkdtemp(fresh.data()))
    throw std::runtime_error((dir / "plots").string() + ": cannot write: " + std::strerror(errno));
  chmod(fresh.c_str(), 0755);
  std::vector<std::string> paths;
  try {
    for (const auto& [name, svg] : figures) {
      write_file(fs::path(fresh) / (name + ".svg"), svg);
      paths.push_back((dir / "plots" / (name + ".svg")).string());
    }
    const fs::path plots = dir / "plots";
    std::error_code ec;
    const fs::file_status old = fs::symlink_status(plots, ec);
    if (fs::is_directory(old)) {  // a real folder (symlink_status does not follow links)
      std::string retired = (dir / ".plots.old-XXXXXX").string();
      if (!mkdtemp(retired.data()))
        throw std::runtime_error(plots.string() + ": cannot replace: " + std::strerror(errno));
      fs::rename(plots, fs::path(retired) / "plots");
      fs::rename(fresh, plots);
      fs::remove_all(retired, ec);
    } else {
      if (fs::exists(old)) fs::remove(plots);  // a symlink or a file: removed itself, never followed
      fs::rename(fresh, plots);
    }
  } catch (const fs::filesystem_error& e) {
    std::error_code ignored;
    fs::remove_all(fresh, ignored);
    throw std::runtime_error((dir / "plots").string() + ": cannot write: " + e.code().message());
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(fresh, ignored);
    throw;
  }
  return paths;
}

}  // namespace

ReportFiles write_report(const ResultStore& store, const std::string& sweep, const std::string& out_dir, int refresh_s,
                         const std::string& metric) {
  // One state of the database for the whole report: a run that commits meanwhile (report --watch)
  // cannot make the header's job counts disagree with the table.
  const ReadSnapshot snapshot(store.db());
  const AblationTable table = build_ablation(store, sweep, metric);  // an unknown sweep creates no folder
  const fs::path dir = output_dir(out_dir);
  ReportFiles files;
  std::vector<Figure> figures;
  if (!gnuplot_available()) {
    files.plot_note = "Plots skipped: gnuplot was not found (install gnuplot-nox and run metasweep report again).";
  } else {
    try {
      std::vector<std::string> notes;
      figures = draw_figures(store, table, notes);
      for (const std::string& n : notes) files.plot_note += (files.plot_note.empty() ? "" : " ") + n;
    } catch (const std::exception& e) {
      files.plot_note = std::string("Plots skipped: ") + e.what();
      figures.clear();
    }
  }
  const auto counts = store.status_counts(sweep);
  std::string progress;
  for (JobStatus status : kJobStatusesByProgress)
    if (counts.has(status))
      progress += (progress.empty() ? "" : ", ") + std::to_string(counts[status]) + " " + to_string(status);
  // What the study cost, failed and interrupted attempts included (rank time: GPU time where each
  // rank drives a GPU); nothing for a database without an attempt history.
  const AttemptCosts costs = attempt_costs(store, sweep, RunLock::live_holder(store.path()).has_value(), unix_now());
  const std::string compute = costs.attempts > 0 ? " Compute: " + format_attempt_costs(costs) + "." : "";

  // User text (sweep, section and variant names, the description, the path) is escaped for
  // markdown rendered as HTML: no raw tags, and a newline never ends the heading.
  std::ostringstream md;
  md << "# Ablation report: " << markdown_escape(sweep) << "\n\n";
  if (!table.description.empty()) md << markdown_lines(table.description) << "\n\n";
  md << "Generated " << timestamp() << " from " << markdown_escape(store.path()) << " (jobs: " << progress << ")."
     << compute << "\n\n";
  const std::vector<SweepNote> notes = sweep_notes(store, sweep);  // metasweep note
  if (!notes.empty()) {
    md << "## Notes\n\n";
    for (const SweepNote& n : notes) md << "- " << markdown_note(n) << "\n";
    md << "\n";
  }
  md << "## Ablation table\n\n" << ablation_markdown(table) << "\n## Figures\n\n";
  if (!files.plot_note.empty()) md << markdown_escape(files.plot_note) << "\n";
  std::vector<std::pair<std::string, std::string>> svgs;
  for (const Figure& f : figures) {
    svgs.emplace_back(f.name, f.svg);
    md << "![" << markdown_escape(f.caption) << "](plots/" << f.name << ".svg)\n\n";
  }
  files.plots = replace_plots(dir, svgs);
  files.markdown = (dir / "report.md").string();
  write_file(files.markdown, md.str());

  const std::string refresh = refresh_s > 0 ? std::to_string(refresh_s) : "";
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << (refresh.empty() ? "" : "<meta http-equiv=\"refresh\" content=\"" + refresh + "\">\n")
       << "<title>Ablation report: " << html_escape(sweep) << "</title>\n<style>\n"
       << kCss << "</style>\n</head>\n<body>\n<h1>Ablation report: " << html_escape(sweep) << "</h1>\n";
  // free text keeps its line breaks and indentation (class free: white-space pre-wrap)
  if (!table.description.empty()) html << "<p class=\"free\">" << html_escape(table.description) << "</p>\n";
  html << "<p class=\"note\">Generated " << timestamp() << " from <code>" << html_escape(store.path())
       << "</code> (jobs: " << html_escape(progress) << ")." << html_escape(compute)
       << (refresh.empty() ? "" : " This page reloads itself every " + refresh + " s while the sweep runs.")
       << "</p>\n";
  if (!notes.empty()) {
    html << "<h2>Notes</h2>\n<ul class=\"notes\">\n";
    for (const SweepNote& n : notes)
      html << "<li class=\"free\">" << html_escape(note_date(n) + ": " + n.text) << "</li>\n";
    html << "</ul>\n";
  }
  html << "<h2>Ablation table</h2>\n<div class=\"scroll\">\n" << ablation_html(table) << "</div>\n<h2>Figures</h2>\n";
  if (!files.plot_note.empty()) html << "<p class=\"note\">" << html_escape(files.plot_note) << "</p>\n";
  html << "<div class=\"figures\">\n";
  for (size_t i = 0; i < figures.size(); ++i)
    html << "<figure>\n"
         << unique_ids(figures[i].svg, i) << "\n<figcaption>" << html_escape(figures[i].caption)
         << "</figcaption>\n</figure>\n";
  html << "</div>\n</body>\n</html>\n";
  files.html = (dir / "report.html").string();
  write_file(files.html, html.str());

  files.latex = (dir / "table.tex").string();
  write_file(files.latex, ablation_latex(table));
  return files;
}

}  // namespace ms
