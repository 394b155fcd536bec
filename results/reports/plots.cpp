// gnuplot subprocess plotting (see plots.h).
#include "results/reports/plots.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unistd.h>
#include <vector>

#include <sys/wait.h>

#include "results/reports/text_table.h"
#include "sweeps/config_schema.h"  // split
#include "sweeps/user_text.h"

namespace ms {

namespace fs = std::filesystem;

namespace {

// 640x400 user units with a 14-point font: inlined two to a row in report.html (about 560 px
// wide) the text stays at about 12 px. The key sits below the plot so long variant names never
// squeeze the plot area.
// A figure with a long key below grows taller (kKeyRow per entry) instead of squeezing its plot.
constexpr int kHeight = 400, kKeyRow = 21;
std::string terminal(int height) {
  return "set terminal svg size 640," + std::to_string(height) +
         " dynamic noenhanced font 'Helvetica,14' background rgb 'white'\n";
}
const char* kStyle =
    "set border 3 lw 1 lc rgb '#555555'\nset tics nomirror\nset grid lc rgb '#dddddd' dt 2\n"
    "set key below center horizontal noautotitle\n"
    "set linetype 1 lc rgb '#1f77b4' lw 2 pt 7 ps 1\nset linetype 2 lc rgb '#ff7f0e' lw 2 pt 5 ps 1\n"
    "set linetype 3 lc rgb '#2ca02c' lw 2 pt 9 ps 1.2\nset linetype 4 lc rgb '#d62728' lw 2 pt 11 ps 1.2\n"
    "set linetype 5 lc rgb '#9467bd' lw 2 pt 13 ps 1.2\nset linetype 6 lc rgb '#8c564b' lw 2 pt 7 ps 1\n"
    "set linetype 7 lc rgb '#e377c2' lw 2 pt 5 ps 1\nset linetype 8 lc rgb '#7f7f7f' lw 2 pt 9 ps 1.2\n"
    "set linetype cycle 8\n";

// A gnuplot string constant that holds any text safely. gnuplot runs `command` in backquotes
// inside double-quoted strings, expands @macros, and a newline ends a command (so a single-quoted
// string is no defence). Here every byte but ASCII letters and space is written as an octal
// escape (\ooo) inside double quotes: the script text never contains a quote, backquote, @, $,
// newline or backslash of the user's, and gnuplot rebuilds the exact bytes (UTF-8 included) when
// it reads the string.
std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ' ') {  // no digits: "\0553" is one number
      q += static_cast<char>(c);
    } else {
      char octal[8];
      std::snprintf(octal, sizeof octal, "\\%03o", c);
      q += octal;
    }
  }
  return q + "\"";
}

// Text for gnuplot to show per row of a data file (xtic labels, point labels): a gnuplot array
// `name` holding each text as a quoted() string, so it arrives byte for byte. (A string field
// inside the data file itself would be read with gnuplot's escape processing: backslashes lost,
// `\n` a line break, and no way to write a double quote.) Row i of the data file (the pseudo
// column 0 counts rows from 0) shows `name[int($0)+1]`; an empty list still makes a 1-element array.
std::string text_array(const std::string& name, const std::vector<std::string>& texts) {
  std::string out = "array " + name + "[" + std::to_string(std::max<size_t>(1, texts.size())) + "]\n";
  for (size_t i = 0; i < texts.size(); ++i)
    out += name + "[" + std::to_string(i + 1) + "] = " + quoted(texts[i]) + "\n";
  return out;
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::absolute(fs::temp_directory_path()) / "metasweep-plot-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temp dir for gnuplot");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a program without a shell (no word of it is ever interpreted), stdout to /dev/null and
// stderr to `err_path`; returns its exit status (127 when it could not start).
int run_program(const std::vector<std::string>& argv, const std::string& err_path) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("cannot start gnuplot: ") + std::strerror(errno));
  if (pid == 0) {
    const int null = open("/dev/null", O_RDWR);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (null >= 0) dup2(null, STDIN_FILENO), dup2(null, STDOUT_FILENO);
    if (err >= 0) dup2(err, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// gnuplot escapes '<' and '&' in the text it writes, not '>', so a label holding "]]>" made the
// SVG ill-formed XML (that sequence may not appear in character data). Outside CDATA sections
// every "]]>" becomes "]]&gt;", which reads as the same text.
std::string escape_cdata_ends(const std::string& svg) {
  std::string out;
  out.reserve(svg.size());
  size_t i = 0;
  while (i < svg.size()) {
    if (svg.compare(i, 9, "<![CDATA[") == 0) {
      const size_t end = svg.find("]]>", i + 9);
      const size_t stop = end == std::string::npos ? svg.size() : end + 3;
      out.append(svg, i, stop - i);
      i = stop;
    } else if (svg.compare(i, 3, "]]>") == 0) {
      out += "]]&gt;";
      i += 3;
    } else {
      out += svg[i++];
    }
  }
  return out;
}

// A legend entry: the label cut to kLegendColumns columns with a trailing "…" (the tables
// hold it whole). gnuplot drops a key below the plot whose entry is wider than the plot: an
// audit's 77-character label left the curves with no legend at all.
constexpr size_t kLegendColumns = 48;
std::string legend(const std::string& title) { return quoted(cut_to_columns(title, kLegendColumns)); }

// The legend entries of one plot's curves. Short titles stay whole. Past kLegendColumns, the
// ", "-separated parts that every title has (the keys a grid's cells or a section's variants
// share) give way to "…", so what tells the curves apart is what shows; a title still too long is
// cut in its middle, keeping its end (where a grid label's last key is).
std::vector<std::string> legend_titles(const std::vector<std::string>& titles) {
  bool long_title = false;
  for (const std::string& t : titles) long_title = long_title || terminal_columns(t) > kLegendColumns;
  if (!long_title) return titles;
  std::vector<std::vector<std::string>> parts;
  for (const std::string& t : titles) parts.push_back(split(t, ", "));
  std::set<std::string> shared;
  if (titles.size() > 1)
    for (const std::string& part : parts.front())
      if (std::all_of(parts.begin(), parts.end(),
                      [&](const auto& p) { return std::find(p.begin(), p.end(), part) != p.end(); }))
        shared.insert(part);
  std::vector<std::string> out;
  for (size_t t = 0; t < parts.size(); ++t) {
    const auto& p = parts[t];
    const bool all_shared = std::all_of(p.begin(), p.end(), [&](const std::string& x) { return shared.count(x); });
    std::vector<std::string> kept;  // a run of shared parts becomes one "…"
    bool gap = false;
    for (const std::string& part : p) {
      if (!shared.count(part))
        kept.push_back(part);
      else if (!gap)
        kept.push_back("…");
      gap = shared.count(part) > 0;
    }
    out.push_back(cut_middle_to_columns(all_shared ? titles[t] : join(kept, ", "), kLegendColumns));
  }
  return out;
}

// Runs the script (after the terminal settings) and returns the <svg> element.
std::string run_gnuplot(const ScratchDir& dir, const std::string& script, int height = kHeight) {
  const std::string svg = dir.file("plot.svg"), gp = dir.file("plot.gp"), err = dir.file("err.txt");
  {
    std::ofstream out(gp);
    out << terminal(height) << kStyle << "set output " << quoted(svg) << "\n" << script << "\nset output\n";
  }
  const int status = run_program({"gnuplot", gp}, err);
  if (status != 0 || !fs::exists(svg)) throw std::runtime_error("gnuplot failed: " + slurp(err).substr(0, 300));
  const std::string text = escape_cdata_ends(slurp(svg));
  const size_t start = text.find("<svg");
  if (start == std::string::npos) throw std::runtime_error("gnuplot wrote no SVG");
  return text.substr(start);
}

// One data line per point: x y.
std::string write_series(const ScratchDir& dir, size_t index, const Series& s) {
  const std::string path = dir.file("s" + std::to_string(index) + ".dat");
  std::ofstream out(path);
  for (size_t i = 0; i < s.x.size(); ++i) {
    out << shortest(s.x[i]) << " " << shortest(s.y[i]) << "\n";
  }
  return path;
}

std::string header(const std::string& title, const std::string& xlabel, const std::string& ylabel) {
  return "set title " + quoted(title) + "\nset xlabel " + quoted(xlabel) + "\nset ylabel " + quoted(ylabel) + "\n";
}

}  // namespace

bool gnuplot_available() {
  static const bool available = std::system("gnuplot -V >/dev/null 2>&1") == 0;
  return available;
}

std::string plot_lines(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                       const std::vector<Series>& series) {
  ScratchDir dir;
  double last = 0;
  for (const Series& s : series)
    for (double x : s.x) last = std::max(last, x);
  // A tic per epoch for short runs; gnuplot's own (integer) tics beyond a dozen epochs.
  // Accuracy curves rise to the right, so the key goes in the (empty) bottom-right corner.
  std::string plot = header(title, xlabel, ylabel) + (last <= 12 ? "set xtics 1\n" : "set format x '%.0f'\n") +
                     "set key inside right bottom vertical opaque box lc rgb '#cccccc'\nplot ";
  std::vector<std::string> titles;
  for (const Series& s : series) titles.push_back(s.title);
  const std::vector<std::string> legends = legend_titles(titles);
  for (size_t i = 0; i < series.size(); ++i)
    plot += (i ? ", " : "") + quoted(write_series(dir, i, series[i])) + " using 1:2 with linespoints title " +
            quoted(legends[i]);
  return run_gnuplot(dir, plot);
}

std::string plot_scatter(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                         const std::vector<Series>& series, bool log_x) {
  ScratchDir dir;
  auto xpos = [&](double x) { return log_x ? std::log10(std::max(x, 1e-300)) : x; };
  double x_low = INFINITY, x_high = -INFINITY, y_low = INFINITY, y_high = -INFINITY;
  size_t count = 0;
  for (const Series& s : series)
    for (size_t i = 0; i < s.x.size(); ++i, ++count) {
      x_low = std::min(x_low, xpos(s.x[i])), x_high = std::max(x_high, xpos(s.x[i]));
      y_low = std::min(y_low, s.y[i]), y_high = std::max(y_high, s.y[i]);
    }
  if (count == 0) throw std::runtime_error("plot_scatter: no points");
  // Fixed ranges (a little room around the points, more to the right for the labels), so a
  // point's place on the canvas is known here: 640x400 SVG, about 530 px of plot width, and the
  // height left by the title, the x label and the key's rows below.
  const double xs = x_high > x_low ? x_high - x_low : std::max(1e-9, std::fabs(x_high) * 0.2 + 1e-9);
  const double ys = y_high > y_low ? y_high - y_low : std::max(1.0, std::fabs(y_high) * 0.05);
  const double x0 = x_low - 0.08 * xs, x1 = x_high + 0.15 * xs, y0 = y_low - 0.12 * ys, y1 = y_high + 0.15 * ys;
  // One key row per point: the canvas grows by a row each, the plot area stays ~215 px high.
  const int height = kHeight - 3 * kKeyRow + kKeyRow * static_cast<int>(count);
  const double width_px = 530, height_px = height - 60 - 55 - kKeyRow * static_cast<double>(count);
  auto px = [&](double x) { return (xpos(x) - x0) / (x1 - x0) * width_px; };
  auto py = [&](double y) { return (y1 - y) / (y1 - y0) * height_px; };
  // Labels are numbers (the key names them). A label whose box would overlap one already placed
  // joins it ("3,4"): numbers never print over each other, whatever the points' spacing.
  struct Label {
    double x, y;                      // data coordinates of the point it belongs to
    double left, top, right, bottom;  // its box on the canvas
    std::string text;
  };
  constexpr double kChar = 7.5, kLabelHeight = 15, kDx = 8, kDy = -20;
  std::vector<Label> labels;
  std::string plot = header(title, xlabel, ylabel) + (log_x ? "set logscale x\n" : "") + "set xrange [" +
                     shortest(log_x ? std::pow(10, x0) : x0) + ":" + shortest(log_x ? std::pow(10, x1) : x1) +
                     "]\nset yrange [" + shortest(y0) + ":" + shortest(y1) +
                     "]\nset key below left Left reverse vertical maxrows " + std::to_string(count) +
                     " samplen 1 width -2\nplot ";
  int number = 0;
  for (size_t si = 0; si < series.size(); ++si) {
    const Series& s = series[si];
    for (size_t i = 0; i < s.x.size(); ++i) {
      const std::string n = std::to_string(++number);
      const std::string path = dir.file("p" + n + ".dat");
      std::ofstream(path) << shortest(s.x[i]) << " " << shortest(s.y[i]) << "\n";
      const std::string name = i < s.labels.size() ? s.labels[i] : "";
      plot += std::string(number > 1 ? ", " : "") + quoted(path) + " using 1:2 with points lt " +
              std::to_string(si + 1) + " ps 1.3 title " +
              legend(n + " " + (series.size() > 1 ? s.title + ": " : "") + name);
      const double left = px(s.x[i]) + kDx, top = py(s.y[i]) + kDy;
      Label mine{s.x[i], s.y[i], left, top, left + kChar * double(n.size()), top + kLabelHeight, n};
      bool joined = false;
      for (Label& l : labels)
        if (mine.left < l.right + 6 && l.left < mine.right + 6 && mine.top < l.bottom + 2 && l.top < mine.bottom + 2) {
          l.text += "," + n;  // numbers rise in order, so the joined text stays sorted
          l.right = l.left + kChar * double(l.text.size());
          joined = true;
          break;
        }
      if (!joined) labels.push_back(mine);
    }
  }
  const std::string label_file = dir.file("labels.dat");
  std::vector<std::string> label_texts;
  {
    std::ofstream out(label_file);
    for (const Label& l : labels) out << shortest(l.x) << " " << shortest(l.y) << "\n", label_texts.push_back(l.text);
  }
  plot = text_array("PointLabel", label_texts) + plot + ", " + quoted(label_file) +
         " using 1:2:(PointLabel[int($0)+1]) with labels left offset char 0.8,0.9 font ',12' tc rgb '#222222' notitle";
  return run_gnuplot(dir, plot, std::max(kHeight, height));
}

std::string plot_dots(const std::string& title, const std::string& ylabel, const Series& columns, bool baseline_first,
                      double min_span) {
  ScratchDir dir;
  const std::string seeds = dir.file("seeds.dat"), means = dir.file("means.dat");
  double low = INFINITY, high = -INFINITY;
  {
    std::ofstream out(seeds), mean(means);
    for (size_t i = 0; i < columns.y.size(); ++i) {
      const double err = i < columns.err.size() ? columns.err[i] : 0.0;
      mean << i << " " << shortest(columns.y[i]) << " " << shortest(err) << "\n";
      low = std::min(low, columns.y[i] - err), high = std::max(high, columns.y[i] + err);
      const std::vector<double> none;
      const auto& values = i < columns.points.size() ? columns.points[i] : none;
      for (size_t k = 0; k < values.size(); ++k) {
        // Spread the seeds sideways so equal values stay countable: -0.12 .. +0.12 of a column.
        const double dx = values.size() > 1 ? -0.12 + 0.24 * double(k) / double(values.size() - 1) : 0.0;
        out << shortest(double(i) + dx) << " " << shortest(values[k]) << "\n";
        low = std::min(low, values[k]), high = std::max(high, values[k]);
      }
    }
  }
  const double span = std::max(high - low, min_span);
  // Column names: slanted a little when short and few, steeply (and given the room) otherwise.
  size_t longest = 0;
  for (const auto& l : columns.labels) longest = std::max(longest, l.size());
  const bool steep = columns.y.size() > 5 || longest > 14;
  // At 50 degrees a name of n characters reaches ~0.36 n rows down and ~0.6 n characters left.
  const int below = steep ? static_cast<int>(std::lround(0.36 * static_cast<double>(longest))) : 0;  // char rows
  const int left = steep ? std::max(10, static_cast<int>(std::lround(0.6 * static_cast<double>(longest))) - 4) : 10;
  std::vector<std::string> names(columns.labels.begin(), columns.labels.end());
  names.resize(columns.y.size());
  std::string plot = header(title, "", ylabel) + text_array("ColumnName", names) + "set grid noxtics\n" +
                     (steep ? "set xtics rotate by 50 nomirror scale 0 right offset 0.5,0\n"
                            : "set xtics rotate by -20 nomirror scale 0\n") +
                     "set key below horizontal\nset bmargin " + std::to_string(5 + below) + "\nset lmargin " +
                     std::to_string(left) +
                     "\n"
                     "set xrange [-0.6:" +
                     shortest(static_cast<double>(columns.y.size()) - 0.4) +
                     "]\n"
                     "set yrange [" +
                     shortest(low - 0.12 * span) + ":" + shortest(high + 0.12 * span) + "]\n";
  if (baseline_first && !columns.y.empty())
    plot += "set arrow from graph 0, first " + shortest(columns.y[0]) + " to graph 1, first " + shortest(columns.y[0]) +
            " nohead lc rgb '#777777' dt 2 lw 1.5 back\n";
  plot += "plot " + quoted(means) +
          " using 1:2:3:xtic(ColumnName[int($0)+1]) with yerrorbars lc rgb '#1f77b4' lw 2 pt 0 title " +
          quoted("mean ± std") + ", " + quoted(means) +
          " using ($1-0.15):2:(0.3):(0) with vectors nohead lc rgb '#1f77b4' lw 3 notitle, " + quoted(seeds) +
          " using 1:2 with points pt 6 ps 1.1 lc rgb '#d62728' title " + quoted("seeds");
  return run_gnuplot(dir, plot, kHeight + 17 * below);
}

std::string plot_bands(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                       const std::vector<Band>& bands) {
  ScratchDir dir;
  double last = 0;
  std::string plot = header(title, xlabel, ylabel), shades, lines;
  int colour = 0;
  std::vector<std::string> titles;
  for (const Band& b : bands) titles.push_back(b.title);
  const std::vector<std::string> legends = legend_titles(titles);
  for (size_t i = 0; i < bands.size(); ++i) {
    const Band& b = bands[i];
    const std::string path = dir.file("b" + std::to_string(i) + ".dat");
    {
      std::ofstream out(path);
      for (size_t k = 0; k < b.x.size(); ++k) {
        out << shortest(b.x[k]) << " " << shortest(b.mean[k]) << " " << shortest(b.low[k]) << " " << shortest(b.high[k])
            << "\n";
        last = std::max(last, b.x[k]);
      }
    }
    const std::string style = b.reference ? "lc rgb '#444444' dt 2 lw 2" : "lt " + std::to_string(++colour);
    shades += (shades.empty() ? "" : ", ") + quoted(path) + " using 1:3:4 with filledcurves " + style +
              " fs transparent solid " + (b.reference ? "0.12" : "0.18") + " noborder notitle";
    lines += ", " + quoted(path) + " using 1:2 with linespoints " + style + (b.reference ? " pt 6" : "") + " title " +
             quoted(legends[i]);
  }
  plot += (last <= 12 ? "set xtics 1\n" : "set format x '%.0f'\n");
  // The key goes below the plot, where it never covers a curve, with a line of room more than
  // gnuplot reserves: browsers' fonts are a little larger and would run the axis label into it.
  plot += "set key below height 1\nplot " + shades + lines;
  const int entries = static_cast<int>(bands.size());
  return run_gnuplot(dir, plot, kHeight + kKeyRow * std::max(0, entries - 3));
}

}  // namespace ms
