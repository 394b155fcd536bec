// latex_escape() (results/reports/text_table.h) sets user text as typed (QA ux #2): no TeX
// ligature survives (-- --- `` '' ,, !` ?` << >>), ` ' " are the straight marks, a user's en
// dash and two hyphens stay different, and a cell starting with [ or * is not taken as the
// previous row's \\[..] or \\*. The escaped text compiles with real pdflatex in OT1 and T1.
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "results/reports/text_table.h"
#include "tests/test_support.h"

namespace ms {
namespace {

const std::vector<std::string> kLigatures = {
    "x'; DROP TABLE jobs;-- ",
    "a--b",
    "a---b",
    "a\xe2\x80\x93"
    "b",
    "a\xe2\x80\x94"
    "b",
    "``q''",
    "\"q\"",
    "'q'",
    "`q'",
    "!`",
    "?`",
    "!'",
    ",,x",
    ",x",
    "<<x>>",
    "<x>",
    "[P,P,A,A]",
    "*x",
    "lr--1e-3",
    "lr\xe2\x80\x93"
    "1e-3",
};

TEST(LatexEscape, ExactEscapes) {
  EXPECT_EQ(latex_escape("a--b"), "a-{}-b");
  EXPECT_EQ(latex_escape("a---b"), "a-{}-{}-b");
  EXPECT_EQ(latex_escape("lr\xe2\x80\x93"
                         "1e-3"),
            "lr\\textendash{}1e-3");
  EXPECT_EQ(latex_escape("-0.5"), "-0.5");
  EXPECT_EQ(latex_escape("``a''"), "\\textasciigrave{}\\textasciigrave{}a\\textquotesingle{}\\textquotesingle{}");
  EXPECT_EQ(latex_escape("\"q\""), "\\UseTextSymbol{T1}{\\textquotedbl}q\\UseTextSymbol{T1}{\\textquotedbl}");
  EXPECT_EQ(latex_escape(",,"), ",{},");
  EXPECT_EQ(latex_escape("a, b"), "a, b");
  EXPECT_EQ(latex_escape("[P,P]*"), "{[}P,P{]}{*}");
  EXPECT_EQ(latex_escape("0.82 \xc2\xb1 0.01"), "0.82 $\\pm$ 0.01");
}

TEST(LatexEscape, NoLigatureOrCurlyQuoteSurvives) {
  for (const auto& s : kLigatures) {
    const std::string e = latex_escape(s);
    for (const char* pair : {"--", "''", "``", ",,", "!`", "?`", "<<", ">>"})
      EXPECT_EQ(e.find(pair), std::string::npos) << s << " -> " << e;
    EXPECT_EQ(e.find_first_of("'`\""), std::string::npos) << s << " -> " << e;
  }
}

TEST(LatexEscape, DifferentTextGivesDifferentLatex) {
  std::set<std::string> seen;
  for (const auto& s : kLigatures) EXPECT_TRUE(seen.insert(latex_escape(s)).second) << "collides: " << s;
  EXPECT_NE(latex_escape("a\xe2\x80\x93"
                         "b"),
            latex_escape("a--b"));
  EXPECT_NE(latex_escape("a\"b"), latex_escape("a''b"));
  EXPECT_NE(latex_escape("a'b"), latex_escape("a`b"));
}

// Every string above, each as the first cell of a row (after the previous row's \\), compiles
// under the default OT1 encoding and under T1.
TEST(LatexEscape, CompilesWithPdflatexInOt1AndT1) {
  ASSERT_EQ(test::run_command("command -v pdflatex").exit_code, 0) << "pdflatex missing (scripts/install-deps.sh)";
  std::string rows;
  for (const auto& s : kLigatures) rows += latex_escape(s) + " & " + latex_escape(s) + " \\\\\n";
  for (const std::string fontenc : {"", "\\usepackage[T1]{fontenc}\n"}) {
    test::TempDir dir;
    dir.write("doc.tex", "\\documentclass{article}\n" + fontenc +
                             "\\usepackage{booktabs}\n\\begin{document}\n\\begin{tabular}{ll}\n\\toprule\na & b "
                             "\\\\\n\\midrule\n" +
                             rows + "\\bottomrule\n\\end{tabular}\n\\end{document}\n");
    const test::CommandResult r = test::run_command(
        "cd " + dir.path() + " && pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape doc.tex");
    const std::string log = test::read_file(dir.file("doc.log"));
    EXPECT_EQ(r.exit_code, 0) << fontenc << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
  }
}

}  // namespace
}  // namespace ms
