// A table of text cells rendered four ways: aligned plain text for the terminal, CSV (RFC 4180),
// GitHub markdown and LaTeX booktabs; plus the escaping and number formatting they share.
#pragma once
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace ms {

struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> right;           // per column: right-aligned (numbers); missing = left
  std::vector<size_t> rules_before;  // row indices preceded by a rule (section breaks)
};

// A table's rows made on demand, for tables too long to hold as cells (450,000 epochs of learning
// curves took 760 MB as a plain table, 1.1 GB as markdown): `row(i)` may be called twice per row,
// as the aligned formats measure the columns before they write.
struct TableRows {
  size_t count = 0;
  std::function<std::vector<std::string>(size_t)> row;
};
TableRows rows_of(const TextTable& t);

std::string render_plain(const TextTable& t);
std::string render_csv(const TextTable& t);
// Headers and cells are escaped unless their column already holds markdown (`raw_columns`: the
// caller escaped the column's user text, header included, with markdown_escape()).
std::string render_markdown(const TextTable& t, const std::vector<bool>& raw_columns = {});
// Cells are escaped unless they already hold LaTeX (the caller says which columns are raw).
std::string render_latex(const TextTable& t, const std::vector<bool>& raw_columns = {});
// The same, written to `out` with the rows from `rows` (t's header, alignment and rules; t.rows
// unused), never the whole text in memory.
void write_plain(std::ostream& out, const TextTable& t, const TableRows& rows);
void write_csv(std::ostream& out, const TextTable& t, const TableRows& rows);
void write_markdown(std::ostream& out, const TextTable& t, const TableRows& rows,
                    const std::vector<bool>& raw_columns = {});
void write_latex(std::ostream& out, const TextTable& t, const TableRows& rows,
                 const std::vector<bool>& raw_columns = {});
// The comment lines a LaTeX output starts with: who wrote it, the packages it needs (`packages`:
// "booktabs" or "booktabs} and \usepackage{graphicx"), and that names in scripts other than Latin
// need xelatex or lualatex.
std::string latex_header_comment(const std::string& generator, const std::string& packages);

std::string csv_field(const std::string& s);  // quoted when needed; formula-like text neutralised
// "=cmd" -> "'=cmd", "'x" -> "''x" (reversible: drop one leading '); numbers and "-" unchanged.
std::string csv_neutralise(const std::string& s);
// LaTeX's special characters escaped, controls as spaces, and the symbols our own text uses
// (± Δ ρ − –) spelled in ASCII LaTeX, which pdflatex reads without Unicode support. Text renders
// as typed: no TeX ligature (-- --- `` '' ,, !` ?` << >>) forms, ` ' " are the straight ASCII
// marks, and two different strings never give the same output (– is \textendash, not --). Other
// non-ASCII text is passed through as UTF-8: pdflatex (T1, inputenc utf8) sets Latin-script
// letters; other scripts (Greek, Cyrillic, CJK, Arabic, emoji, ...) need xelatex or lualatex.
std::string latex_escape(const std::string& s);
// Literal text in CommonMark (and GitHub's tables, strikethrough and autolinks): every ASCII
// punctuation character with a meaning there gets a backslash (CommonMark lets any ASCII
// punctuation be escaped so), which stops emphasis, links, code, HTML, entities and autolinks;
// only , % ' " / ; ? and the dots, commas and signs inside numbers stay bare. Control characters
// become spaces. The one Markdown escape for user text.
std::string markdown_escape(const std::string& s);
std::string html_escape(const std::string& s);

std::string fixed(double v, int decimals);  // "0.8200"; "nan"/"inf" spelled out
// "+1.20", "-0.35"; a value that rounds to zero is "+0.00", never "-0.00" (a difference of
// equal means computed in floating point).
std::string signed_fixed(double v, int decimals);
std::string shortest(double v);  // round-trip spelling, for CSV
std::string si_count(double v);  // 3 significant digits + K/M/G/T: "950", "12.3K", "1.00M", "100M"
// A unit for counts (MACs, parameters) on an axis or in a table column: the largest power of 1000
// that keeps the biggest value at or above 1 (K, M, G/B, T), e.g. 2.8e6 MACs -> {1e6, "M"}.
struct AxisUnit {
  double scale = 1;
  std::string suffix;  // "" for plain units
};
AxisUnit count_unit(double largest, bool billions_as_g);
// Free text (a description, a note) for Markdown outside tables: escaped line by line, each line
// break kept as a hard break (a trailing backslash), an empty line as a paragraph break, the spaces
// and tabs a line starts with as no-break spaces (U+00A0: never an indented code block or a
// list's indentation). `indent` starts every line after the first (a list item's continuation).
std::string markdown_lines(const std::string& text, const std::string& indent = "");
size_t display_width(const std::string& utf8);  // terminal columns (sweeps/user_text.h: wide characters 2)

}  // namespace ms
