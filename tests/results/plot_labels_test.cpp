// Plot labels arrive in the SVG exactly as typed (QA ux #1): a dot plot's column names (xtic
// labels) and a scatter plot's key keep backslashes, double quotes, escape-like sequences (\n,
// \101), TeX, percent signs and UTF-8 byte for byte, so two different labels never show the same.
#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "results/reports/plots.h"
#include "sweeps/user_text.h"

namespace ms {
namespace {

// Every <text> element's content, tags inside it dropped and XML entities decoded.
std::set<std::string> svg_texts(const std::string& svg) {
  std::set<std::string> out;
  const std::regex text("<text[^>]*>([\\s\\S]*?)</text>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text); it != std::sregex_iterator(); ++it) {
    std::string inner = std::regex_replace((*it)[1].str(), std::regex("<[^>]*>"), "");
    std::string decoded;
    for (size_t i = 0; i < inner.size(); ++i) {
      static const std::vector<std::pair<std::string, char>> entities = {
          {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}, {"&amp;", '&'}};
      bool matched = false;
      for (const auto& [name, c] : entities)
        if (inner.compare(i, name.size(), name) == 0) {
          decoded += c, i += name.size() - 1, matched = true;
          break;
        }
      if (!matched) decoded += inner[i];
    }
    out.insert(decoded);
  }
  return out;
}

const std::vector<std::string> kLabels = {
    "\\end{tabular}\\input{/etc/passwd} $x$ 50% #1 a_b ^~ {",
    "a_b",
    "a\\_b",
    "@SUM(A1) , \"quoted\" +cmd -cmd",
    "=HYPERLINK(\"http://evil\",\"x\")",
    "a\"b",
    "a'b",
    "it''s",
    "\\n and \\101 and \\\\ and \\",
    "caf\xc3\xa9 \xe4\xb8\xad",
};

TEST(PlotLabels, DotPlotColumnNamesArriveVerbatim) {
  ASSERT_TRUE(gnuplot_available());
  Series columns;
  for (size_t i = 0; i < kLabels.size(); ++i) {
    columns.labels.push_back(kLabels[i]);
    columns.y.push_back(50.0 + double(i));
    columns.err.push_back(0.5);
    columns.points.push_back({49.5 + double(i), 50.5 + double(i)});
  }
  const std::set<std::string> texts = svg_texts(plot_dots("T", "acc", columns, true));
  for (const auto& label : kLabels) EXPECT_EQ(texts.count(label), 1u) << "missing tick label: " << label;
}

TEST(PlotLabels, ShortDotPlotColumnNamesArriveVerbatim) {  // the few-columns layout (slanted by -20)
  ASSERT_TRUE(gnuplot_available());
  Series columns;
  columns.labels = {"a\\_b", "a_b", "x\"y"};
  columns.y = {1, 2, 3};
  columns.points = {{1}, {2}, {3}};
  const std::set<std::string> texts = svg_texts(plot_dots("T", "acc", columns, false));
  for (const auto& label : columns.labels) EXPECT_EQ(texts.count(label), 1u) << "missing tick label: " << label;
}

TEST(PlotLabels, ScatterKeysArriveVerbatim) {
  ASSERT_TRUE(gnuplot_available());
  Series s;
  s.title = "t";
  for (size_t i = 0; i < 4; ++i) {
    s.x.push_back(1e6 * double(i + 1));
    s.y.push_back(50 + double(i));
    s.labels.push_back(kLabels[i + 2]);
  }
  const std::set<std::string> texts = svg_texts(plot_scatter("T", "MACs", "acc", {s}, true));
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(texts.count(std::to_string(i + 1) + " " + kLabels[i + 2]), 1u) << kLabels[i + 2];
    EXPECT_EQ(texts.count(std::to_string(i + 1)), 1u) << "point number " << i + 1;
  }
}

// Curve legends of long grid labels (QA: cut at 48 columns, the gelu and relu curves of a cell
// had the same legend): the parts every curve shares at the start and the end give way, so the
// key shows what differs; short legends stay whole.
TEST(PlotLabels, LongGridLegendsKeepWhatTellsTheCurvesApart) {
  ASSERT_TRUE(gnuplot_available());
  std::vector<Series> curves;
  for (const std::string cell :
       {"model.activation=gelu, task.dataset=sort", "model.activation=relu, task.dataset=sort"})
    for (const std::string variant : {"baseline", "model.norm=layernorm"}) {
      Series s;
      s.title = variant + ", model.pool_size=3, model.mlp_ratio=2.0, " + cell;
      s.x = {1, 2};
      s.y = {50, 60 + double(curves.size())};
      curves.push_back(s);
    }
  const std::set<std::string> texts = svg_texts(plot_lines("T", "epoch", "acc", curves));
  EXPECT_EQ(texts.count("baseline, …, model.activation=gelu, …"), 1u);
  EXPECT_EQ(texts.count("baseline, …, model.activation=relu, …"), 1u);
  std::set<std::string> legends;  // every curve's own: its variant and its activation, within 48 columns
  for (const std::string& t : texts)
    if (t.find("gelu") != std::string::npos || t.find("relu") != std::string::npos) {
      legends.insert(t);
      EXPECT_LE(terminal_columns(t), 48u) << t;
      EXPECT_EQ(t.find("pool_size"), std::string::npos) << t;  // shared by every curve
    }
  EXPECT_EQ(legends.size(), 4u) << "two curves share a legend";
  for (const std::string variant : {"baseline", "model.norm=layernorm"})
    for (const std::string act : {"gelu", "relu"})
      EXPECT_EQ(std::count_if(
                    legends.begin(), legends.end(),
                    [&](const std::string& l) { return l.rfind(variant, 0) == 0 && l.find(act) != std::string::npos; }),
                1)
          << variant << " " << act;
  // Without shared parts, a long title is cut in its middle and keeps its end.
  curves.resize(2);
  curves[0].title = "baseline, model.pool_size=3, model.mlp_ratio=2.0, model.activation=gelu";
  curves[1].title = "model.norm=none";
  const std::set<std::string> cut = svg_texts(plot_lines("T", "epoch", "acc", curves));
  EXPECT_EQ(cut.count("baseline, model.pool_siz…, model.activation=gelu"), 1u);

  curves.resize(2);
  curves[0].title = "baseline";
  curves[1].title = "model.norm=layernorm, task.dataset=sort";
  const std::set<std::string> short_texts = svg_texts(plot_lines("T", "epoch", "acc", curves));
  EXPECT_EQ(short_texts.count("baseline"), 1u);
  EXPECT_EQ(short_texts.count("model.norm=layernorm, task.dataset=sort"), 1u);
}

}  // namespace
}  // namespace ms
