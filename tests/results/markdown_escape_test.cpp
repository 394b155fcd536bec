// markdown_escape() (results/reports/text_table.h) makes user text literal in Markdown: the exact
// escaped strings, and the escaped text parsed by a real CommonMark implementation -- md4c, with
// GitHub's tables, strikethrough and permissive autolinks, plus LaTeX math, wiki links and
// underline switched on -- yields no emphasis, link, code, HTML, entity or autolink, only the
// literal text, with and without the underline extension (which turns '_' from emphasis into
// underline). md4c comes from Debian's libmd4c-dev (scripts/install-deps.sh).
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <md4c.h>

#include "results/reports/text_table.h"

namespace ms {
namespace {

const std::vector<std::string> kHostile = {
    "*bold* [link](http://x) `code`",
    "50% _x_ ^ ~",
    "~~struck~~ __strong__ **strong**",
    "<b>tag</b> <!-- c --> &amp; &#96; &copy",
    "![img](x.png) [ref][1] [[wiki]] $math$ $$display$$",
    "www.example.com http://evil.example/a?b=c user@example.com",
    "# heading",
    "- item",
    "+ item",
    "1. first",
    "> quote",
    "a \\* b \\",
    "| pipe | cell |",
    "---",
    "===",
    "model.pool_size=5, lr=1e-3, [P,P,A,A]",
    "Δ café 注意 -0.5 +1.25",
};

TEST(MarkdownEscape, ExactEscapes) {
  EXPECT_EQ(markdown_escape("*bold* [link](http://x) `code`"), "\\*bold\\* \\[link\\]\\(http\\://x\\) \\`code\\`");
  EXPECT_EQ(markdown_escape("50% _x_ ^ ~"), "50% \\_x\\_ \\^ \\~");
  EXPECT_EQ(markdown_escape("<b>&amp;|"), "\\<b\\>\\&amp;\\|");
  EXPECT_EQ(markdown_escape("# x\n- y"), "\\# x \\- y");  // a line break would end a table row
  EXPECT_EQ(markdown_escape("0.8200 ± 0.0012, -0.5, +1, 1e-3"), "0.8200 ± 0.0012, -0.5, +1, 1e-3");
  EXPECT_EQ(markdown_escape("model.pool_size=5"), "model\\.pool\\_size\\=5");
  EXPECT_EQ(markdown_escape("a\\b"), "a\\\\b");
}

struct Parsed {
  std::string text;           // normal text, cells joined by '|'
  std::vector<int> blocks;    // every block entered
  int spans = 0;              // emphasis, links, code, ... entered
  std::vector<int> odd_text;  // text that is not plain (entity, HTML, code, math, ...)
};

Parsed parse_markdown(const std::string& doc, unsigned flags) {
  MD_PARSER p{};
  p.flags = flags;
  p.enter_block = [](MD_BLOCKTYPE type, void*, void* user) {
    auto* r = static_cast<Parsed*>(user);
    if (type == MD_BLOCK_TD && !r->text.empty()) r->text += '|';
    r->blocks.push_back(type);
    return 0;
  };
  p.leave_block = [](MD_BLOCKTYPE, void*, void*) { return 0; };
  p.enter_span = [](MD_SPANTYPE, void*, void* user) {
    ++static_cast<Parsed*>(user)->spans;
    return 0;
  };
  p.leave_span = [](MD_SPANTYPE, void*, void*) { return 0; };
  p.text = [](MD_TEXTTYPE type, const MD_CHAR* text, MD_SIZE size, void* user) {
    auto* r = static_cast<Parsed*>(user);
    if (type != MD_TEXT_NORMAL) r->odd_text.push_back(type);
    r->text.append(text, size);
    return 0;
  };
  Parsed r;
  EXPECT_EQ(md_parse(doc.data(), static_cast<MD_SIZE>(doc.size()), &p, &r), 0);
  return r;
}

// GitHub's dialect plus LaTeX math and wiki links; with underline on, '_' is underline instead of
// emphasis, so both ways are parsed.
const unsigned kMarkdownDialects[] = {
    MD_DIALECT_GITHUB | MD_FLAG_LATEXMATHSPANS | MD_FLAG_WIKILINKS,
    MD_DIALECT_GITHUB | MD_FLAG_LATEXMATHSPANS | MD_FLAG_WIKILINKS | MD_FLAG_UNDERLINE,
};

TEST(MarkdownEscape, ACommonMarkParserSeesOnlyTheLiteralText) {
  for (const unsigned flags : kMarkdownDialects)
    for (const std::string& text : kHostile) {
      SCOPED_TRACE(text);
      const Parsed r = parse_markdown(markdown_escape(text) + "\n", flags);
      EXPECT_EQ(r.text, text);
      EXPECT_EQ(r.spans, 0);
      EXPECT_TRUE(r.odd_text.empty());
      EXPECT_EQ(r.blocks, (std::vector<int>{MD_BLOCK_DOC, MD_BLOCK_P}));
    }
}

TEST(MarkdownEscape, TableCellsAreLiteralToo) {
  for (const unsigned flags : kMarkdownDialects)
    for (const std::string& text : kHostile) {
      SCOPED_TRACE(text);
      TextTable t;
      t.header = {"h"};
      t.rows = {{text}};
      const Parsed r = parse_markdown(render_markdown(t), flags);
      EXPECT_EQ(r.text, "h|" + text);
      EXPECT_EQ(r.spans, 0);
      EXPECT_TRUE(r.odd_text.empty());
      ASSERT_GE(r.blocks.size(), 2u);
      EXPECT_EQ(r.blocks[1], MD_BLOCK_TABLE);
    }
}

// A note of several lines as one list item: each line break a hard break (md4c's MD_TEXT_BR), an
// empty line a second paragraph of the same item; a line that looks like a list, a heading, a quote
// or indented code stays literal text; nothing else but plain text and those breaks.
TEST(MarkdownEscape, MultiLineTextKeepsItsLinesInsideOneListItem) {
  const std::string note = "first line\n- not a list\n\n    indented\tx\n# not a heading\n> *not* `code`";
  for (const unsigned flags : kMarkdownDialects) {
    const Parsed r = parse_markdown("- 2026-12-02: " + markdown_lines(note, "  ") + "\n", flags);
    EXPECT_EQ(r.blocks, (std::vector<int>{MD_BLOCK_DOC, MD_BLOCK_UL, MD_BLOCK_LI, MD_BLOCK_P, MD_BLOCK_P}));
    EXPECT_EQ(r.spans, 0);
    EXPECT_EQ(r.odd_text, (std::vector<int>{MD_TEXT_BR, MD_TEXT_BR, MD_TEXT_BR}));
    EXPECT_EQ(r.text,
              "2026-12-02: first line\n- not a list"
              "\xc2\xa0\xc2\xa0\xc2\xa0\xc2\xa0indented x\n# not a heading\n> *not* `code`");
  }
  EXPECT_EQ(markdown_lines("one line"), "one line");
}

}  // namespace
}  // namespace ms
