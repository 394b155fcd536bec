// gnuplot subprocess plotting (see plots.h).
#include "plots.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "text_table.h"

namespace ms {

namespace fs = std::filesystem;

namespace {

// 640x400 user units with a 14-point font: inlined two to a row in report.html (about 560 px
// wide) the text stays at about 12 px. The key sits below the plot so long variant names never
// squeeze the plot area.
const char* kTerminal =
    "set terminal svg size 640,400 dynamic noenhanced font 'Helvetica,14' background rgb 'white'\n"
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

// A label in a data file: one double-quoted field on one line (gnuplot reads data files as data,
// never as commands); double quotes become single ones and control characters spaces.
std::string data_label(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '"' ? '\'' : (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
  return "\"" + out + "\"";
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

// Runs the script (after the terminal settings) and returns the <svg> element.
std::string run_gnuplot(const ScratchDir& dir, const std::string& script) {
  const std::string svg = dir.file("plot.svg"), gp = dir.file("plot.gp"), err = dir.file("err.txt");
  {
    std::ofstream out(gp);
    out << kTerminal << "set output " << quoted(svg) << "\n" << script << "\nset output\n";
  }
  const int status = run_program({"gnuplot", gp}, err);
  if (status != 0 || !fs::exists(svg))
    throw std::runtime_error("gnuplot failed: " + slurp(err).substr(0, 300));
  const std::string text = slurp(svg);
  const size_t start = text.find("<svg");
  if (start == std::string::npos) throw std::runtime_error("gnuplot wrote no SVG");
  return text.substr(start);
}

// One data line per point: x y "label" (the label column is empty when the series has none).
std::string write_series(const ScratchDir& dir, size_t index, const Series& s) {
  const std::string path = dir.file("s" + std::to_string(index) + ".dat");
  std::ofstream out(path);
  for (size_t i = 0; i < s.x.size(); ++i) {
    out << shortest(s.x[i]) << " " << shortest(s.y[i]) << " " << data_label(i < s.labels.size() ? s.labels[i] : "")
        << "\n";
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
  for (size_t i = 0; i < series.size(); ++i)
    plot += (i ? ", " : "") + quoted(write_series(dir, i, series[i])) + " using 1:2 with linespoints title " +
            quoted(series[i].title);
  return run_gnuplot(dir, plot);
}

std::string plot_scatter(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                         const std::vector<Series>& series, bool log_x) {
  ScratchDir dir;
  std::string plot = header(title, xlabel, ylabel) + (log_x ? "set logscale x\n" : "") +
                     "set offsets graph 0.08, graph 0.25, graph 0.1, graph 0.1\nplot ";
  std::string labels;
  for (size_t i = 0; i < series.size(); ++i) {
    const std::string data = quoted(write_series(dir, i, series[i]));
    plot += (i ? ", " : "") + data + " using 1:2 with points lt " + std::to_string(i + 1) + " ps 1.4 title " +
            quoted(series[i].title);
    if (!series[i].labels.empty())
      labels += ", " + data + " using 1:2:3 with labels left offset char 0.9,0.5 font ',11' tc rgb '#333333' notitle";
  }
  return run_gnuplot(dir, plot + labels);
}

std::string plot_bars(const std::string& title, const std::string& ylabel, const Series& bars) {
  ScratchDir dir;
  const std::string path = dir.file("bars.dat");
  {
    std::ofstream out(path);
    for (size_t i = 0; i < bars.y.size(); ++i) {
      out << i << " " << shortest(bars.y[i]) << " " << shortest(i < bars.err.size() ? bars.err[i] : 0.0) << " "
          << data_label(i < bars.labels.size() ? bars.labels[i] : "") << "\n";
    }
  }
  // Accuracy bars do not start at zero (differences of a point would vanish), so the range is
  // set by hand: the lowest bar and every error bar stay visible, with room above the highest.
  double low = 0, high = 0;
  for (size_t i = 0; i < bars.y.size(); ++i) {
    const double err = i < bars.err.size() ? bars.err[i] : 0.0;
    low = i ? std::min(low, bars.y[i] - err) : bars.y[i] - err;
    high = i ? std::max(high, bars.y[i] + err) : bars.y[i] + err;
  }
  const double span = std::max(high - low, 1.0);
  const double bottom = std::max(0.0, std::floor(low - 0.35 * span)), top = std::ceil(high + 0.1 * span);
  const std::string plot = header(title, "", ylabel) +
                           "set style fill solid 0.75 border lc rgb '#333333'\nset boxwidth 0.6\n"
                           "set grid noxtics\nset xtics rotate by -20 nomirror scale 0\nset key off\n"
                           "set errorbars lw 1.5 lc rgb '#222222'\n"
                           "set xrange [-0.6:" + shortest(static_cast<double>(bars.y.size()) - 0.4) + "]\n"
                           "set yrange [" + shortest(bottom) + ":" + shortest(top) + "]\nset bmargin 5\n"
                           "plot " + quoted(path) + " using 1:2:3:xtic(4) with boxerrorbars lc rgb '#1f77b4'";
  return run_gnuplot(dir, plot);
}

std::string plot_bands(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                       const std::vector<Band>& bands) {
  ScratchDir dir;
  double last = 0;
  std::string plot = header(title, xlabel, ylabel), shades, lines;
  int colour = 0;
  for (size_t i = 0; i < bands.size(); ++i) {
    const Band& b = bands[i];
    const std::string path = dir.file("b" + std::to_string(i) + ".dat");
    {
      std::ofstream out(path);
      for (size_t k = 0; k < b.x.size(); ++k) {
        out << shortest(b.x[k]) << " " << shortest(b.mean[k]) << " " << shortest(b.low[k]) << " "
            << shortest(b.high[k]) << "\n";
        last = std::max(last, b.x[k]);
      }
    }
    const std::string style = b.reference ? "lc rgb '#444444' dt 2 lw 2" : "lt " + std::to_string(++colour);
    shades += (shades.empty() ? "" : ", ") + quoted(path) + " using 1:3:4 with filledcurves " + style +
              " fs transparent solid " + (b.reference ? "0.12" : "0.18") + " noborder notitle";
    lines += ", " + quoted(path) + " using 1:2 with linespoints " + style + (b.reference ? " pt 6" : "") +
             " title " + quoted(b.title);
  }
  plot += (last <= 12 ? "set xtics 1\n" : "set format x '%.0f'\n");
  // The key goes below the plot, where it never covers a curve, with a line of room more than
  // gnuplot reserves: browsers' fonts are a little larger and would run the axis label into it.
  plot += "set key below height 1\nplot " + shades + lines;
  return run_gnuplot(dir, plot);
}

}  // namespace ms
