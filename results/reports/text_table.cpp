// Rendering text tables (see text_table.h).
#include "results/reports/text_table.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <ostream>
#include <sstream>

#include "sweeps/config_schema.h"  // split
#include "sweeps/user_text.h"

namespace ms {

size_t display_width(const std::string& s) { return terminal_columns(s); }

namespace {

// Display widths of the header and every row, each cell as `escape` writes it.
std::vector<size_t> widths(const TextTable& t, const TableRows& rows,
                           const std::function<std::string(size_t, const std::string&)>& escape) {
  std::vector<size_t> w(t.header.size(), 0);
  auto grow = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < row.size() && c < w.size(); ++c) w[c] = std::max(w[c], display_width(escape(c, row[c])));
  };
  grow(t.header);
  for (size_t r = 0; r < rows.count; ++r) grow(rows.row(r));
  return w;
}

std::string pad(const std::string& s, size_t width, bool right) {
  const size_t n = display_width(s);
  const std::string fill(width > n ? width - n : 0, ' ');
  return right ? fill + s : s + fill;
}

bool is_right(const TextTable& t, size_t c) { return c < t.right.size() && t.right[c]; }

bool rule_before(const TextTable& t, size_t r) {
  return std::find(t.rules_before.begin(), t.rules_before.end(), r) != t.rules_before.end();
}

std::string cell(const std::vector<std::string>& row, size_t c) { return c < row.size() ? row[c] : ""; }

}  // namespace

TableRows rows_of(const TextTable& t) {
  return {t.rows.size(), [&t](size_t r) { return t.rows[r]; }};
}

void write_plain(std::ostream& out, const TextTable& t, const TableRows& rows) {
  const auto w = widths(t, rows, [](size_t, const std::string& s) { return s; });
  auto line = [&](const std::vector<std::string>& row) {
    std::string text;
    for (size_t c = 0; c < w.size(); ++c) text += (c ? "  " : "") + pad(cell(row, c), w[c], is_right(t, c));
    text.erase(text.find_last_not_of(' ') + 1);
    out << text << "\n";
  };
  std::string rule;
  for (size_t c = 0; c < w.size(); ++c) rule += (c ? "  " : "") + std::string(w[c], '-');
  line(t.header);
  out << rule << "\n";
  for (size_t r = 0; r < rows.count; ++r) {
    if (r > 0 && rule_before(t, r)) out << "\n";
    line(rows.row(r));
  }
}

std::string render_plain(const TextTable& t) {
  std::ostringstream out;
  write_plain(out, t, rows_of(t));
  return out.str();
}

// A text cell a spreadsheet would run as a formula (= + - @, or a leading tab or carriage return)
// gets a leading apostrophe (OWASP's advice); numbers, negative ones included, stay numbers, and so
// does a lone "-" (no formula). Text that already starts with an apostrophe gets one more, so the
// rule reverses (a leading ' is always ours: drop it) and "=x" and "'=x" stay different.
std::string csv_neutralise(const std::string& s) {
  if (s.empty() || s == "-" || std::string("=+-@\t\r'").find(s.front()) == std::string::npos) return s;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  if (end == s.c_str() + s.size() && std::string("+-").find(s.front()) != std::string::npos) return s;  // a number
  return "'" + s;
}

std::string csv_field(const std::string& raw) {
  const std::string s = csv_neutralise(raw);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_csv(std::ostream& out, const TextTable& t, const TableRows& rows) {
  auto line = [&](const std::vector<std::string>& row) {
    for (size_t c = 0; c < t.header.size(); ++c) out << (c ? "," : "") << csv_field(cell(row, c));
    out << "\r\n";
  };
  line(t.header);
  for (size_t r = 0; r < rows.count; ++r) line(rows.row(r));
}

std::string render_csv(const TextTable& t) {
  std::ostringstream out;
  write_csv(out, t, rows_of(t));
  return out.str();
}

std::string markdown_escape(const std::string& s) {
  auto digit = [&](size_t i) { return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      out += ' ';  // a newline would end a table row, a heading or a list item
      continue;
    }
    const bool punctuation = u < 0x80 && std::ispunct(u);
    // Never special in CommonMark or GitHub's extensions, so left bare for readability: , % ' " / ; ?
    // and the dot of a number (3.25) and the sign of one (-0.5, +1): an ordered-list marker needs
    // a space after its dot, a bullet a space after its - or +.
    const bool bare = std::string(",%'\"/;?").find(c) != std::string::npos ||
                      (c == '.' && i > 0 && digit(i - 1) && digit(i + 1)) || ((c == '-' || c == '+') && digit(i + 1));
    if (punctuation && !bare) out += '\\';
    out += c;
  }
  return out;
}

std::string markdown_lines(const std::string& s, const std::string& indent) {
  const std::string kNbsp = "\xc2\xa0";  // U+00A0: a leading space that is never indentation
  const std::vector<std::string> lines = split(s, "\n");
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (i > 0) out += line.empty() ? "" : indent;
    size_t lead = 0;
    for (; lead < line.size() && (line[lead] == ' ' || line[lead] == '\t'); ++lead)
      out += line[lead] == '\t' ? kNbsp + kNbsp + kNbsp + kNbsp : kNbsp;
    out += markdown_escape(line.substr(lead));
    const bool next_is_text = i + 1 < lines.size() && !lines[i + 1].empty();
    if (i + 1 < lines.size()) out += !line.empty() && next_is_text ? "\\\n" : "\n";
  }
  return out;
}

void write_markdown(std::ostream& out, const TextTable& t, const TableRows& rows, const std::vector<bool>& raw) {
  // Headers and cells escaped, but for the raw columns (bold is the caller's).
  const auto esc = [&](size_t c, const std::string& s) { return c < raw.size() && raw[c] ? s : markdown_escape(s); };
  const auto w = widths(t, rows, esc);
  auto line = [&](const std::vector<std::string>& row) {
    out << "|";
    for (size_t c = 0; c < t.header.size(); ++c)
      out << " " << pad(esc(c, cell(row, c)), std::max<size_t>(w[c], 3), is_right(t, c)) << " |";
    out << "\n";
  };
  line(t.header);
  out << "|";
  for (size_t c = 0; c < t.header.size(); ++c) {
    const size_t n = std::max<size_t>(w[c], 3);
    out << " " << (is_right(t, c) ? std::string(n - 1, '-') + ":" : std::string(n, '-')) << " |";
  }
  out << "\n";
  for (size_t r = 0; r < rows.count; ++r) line(rows.row(r));
}

std::string render_markdown(const TextTable& t, const std::vector<bool>& raw) {
  std::ostringstream out;
  write_markdown(out, t, rows_of(t), raw);
  return out.str();
}

std::string latex_escape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i], next = i + 1 < s.size() ? s[i + 1] : '\0';
    switch (c) {
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '&':
      case '%':
      case '$':
      case '#':
      case '_':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '<':  // also breaks the << guillemet ligature (T1), and >> below
        out += "\\textless{}";
        break;
      case '>':
        out += "\\textgreater{}";
        break;
      case '|':
        out += "\\textbar{}";
        break;
      // Characters TeX's fonts would set otherwise than typed: ` and ' are curly quotes (and ``
      // '' !` ?` ligatures), " is a closing curly quote in OT1. The straight forms come from
      // TS1 (in the LaTeX kernel since 2020) and T1 (\UseTextSymbol works under any encoding).
      case '`':
        out += "\\textasciigrave{}";
        break;
      case '\'':
        out += "\\textquotesingle{}";
        break;
      case '"':
        out += "\\UseTextSymbol{T1}{\\textquotedbl}";
        break;
      case '-':  // -- and --- are dash ligatures, ,, a low quote (T1): {} ends the pair
      case ',':
        out += c;
        if (next == c) out += "{}";
        break;
      case '[':  // a cell starting with [ or * would be read as \\'s optional argument or star
      case ']':
      case '*':
        out += '{';
        out += c;
        out += '}';
        break;
      default:
        // Control characters (a newline would end a paragraph inside a cell, an empty line
        // breaks the tabular) become spaces.
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) ? ' ' : c;
    }
  }
  // The en dash is \textendash, never "--", which is how a user's two hyphens are written.
  for (const auto& [utf8, tex] : {std::pair<std::string, std::string>{"±", "$\\pm$"},
                                  {"Δ", "$\\Delta$"},
                                  {"ρ", "$\\rho$"},
                                  {"−", "$-$"},
                                  {"†", "$^\\dagger$"},
                                  {"–", "\\textendash{}"}}) {
    for (size_t at = out.find(utf8); at != std::string::npos; at = out.find(utf8, at + tex.size()))
      out.replace(at, utf8.size(), tex);
  }
  return out;
}

std::string latex_header_comment(const std::string& generator, const std::string& packages) {
  return "% Generated by " + generator + "; needs \\usepackage{" + packages +
         "}.\n"
         "% pdflatex sets names in Latin script; names in other scripts (Greek, Cyrillic, CJK, emoji,\n"
         "% bidi marks, zero-width characters) need xelatex or lualatex with fontspec and a font that\n"
         "% has them.\n";
}

void write_latex(std::ostream& out, const TextTable& t, const TableRows& rows, const std::vector<bool>& raw) {
  out << "\\begin{tabular}{";
  for (size_t c = 0; c < t.header.size(); ++c) out << (is_right(t, c) ? 'r' : 'l');
  out << "}\n\\toprule\n";
  auto esc = [&](const std::vector<std::string>& row, size_t c) {
    return c < raw.size() && raw[c] ? cell(row, c) : latex_escape(cell(row, c));
  };
  for (size_t c = 0; c < t.header.size(); ++c) out << (c ? " & " : "") << latex_escape(t.header[c]);
  out << " \\\\\n\\midrule\n";
  for (size_t r = 0; r < rows.count; ++r) {
    if (r > 0 && rule_before(t, r)) out << "\\midrule\n";
    const std::vector<std::string> row = rows.row(r);
    for (size_t c = 0; c < t.header.size(); ++c) out << (c ? " & " : "") << esc(row, c);
    out << " \\\\\n";
  }
  out << "\\bottomrule\n\\end{tabular}\n";
}

std::string render_latex(const TextTable& t, const std::vector<bool>& raw) {
  std::ostringstream out;
  write_latex(out, t, rows_of(t), raw);
  return out.str();
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, v);
  return buffer;
}

std::string signed_fixed(double v, int decimals) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "+inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%+.*f", decimals, v);
  if (buffer[0] == '-' && std::strspn(buffer + 1, "0.") == std::strlen(buffer + 1)) buffer[0] = '+';
  return buffer;
}

AxisUnit count_unit(double largest, bool billions_as_g) {
  if (largest >= 1e12) return {1e12, "T"};
  if (largest >= 1e9) return {1e9, billions_as_g ? "G" : "B"};
  if (largest >= 1e6) return {1e6, "M"};
  if (largest >= 1e3) return {1e3, "K"};
  return {1, ""};
}

std::string shortest(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // std::to_chars without a precision writes the shortest text that reads back exactly, in one
  // call (a CSV of 450,000 epochs used to try up to 17 precisions per number).
  char buffer[64];
  const std::to_chars_result r = std::to_chars(buffer, buffer + sizeof buffer, v);
  std::string out(buffer, r.ptr);
  // Numbers people write without an exponent (1e-4 <= |v| < 1e15) never get one (7.4e+02 is 740).
  const double a = std::fabs(v);
  if (out.find('e') != std::string::npos && a >= 1e-4 && a < 1e15) {
    const std::to_chars_result f = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed);
    out.assign(buffer, f.ptr);
  }
  return out;
}

std::string si_count(double v) {
  if (!std::isfinite(v)) return fixed(v, 0);
  static const char* suffixes[] = {"", "K", "M", "G", "T"};
  size_t i = 0;
  double x = v;
  while (std::abs(x) >= 999.5 && i + 1 < std::size(suffixes)) x /= 1000, ++i;
  if (i == 0) return fixed(x, std::abs(x - std::round(x)) < 1e-9 ? 0 : 2);
  return fixed(x, std::abs(x) >= 99.95 ? 0 : std::abs(x) >= 9.995 ? 1 : 2) + suffixes[i];
}

}  // namespace ms
