// markdown_escape() (results/reports/text_table.h) makes user text literal in Markdown: the exact
// escaped strings, and the escaped text parsed by a real CommonMark implementation -- md4c, with
// GitHub's tables, strikethrough and permissive autolinks, plus LaTeX math, wiki links and
// underline switched on -- yields no emphasis, link, code, HTML, entity or autolink, only the
// literal text. md4c is loaded at run time (libmd4c.so.0, Debian libmd4c0); without it that part
// skips.
#include <dlfcn.h>
#include <string>
#include <vector>

#include <gtest/gtest.h>

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

// md4c's parser API (md4c.h, ABI version 0), declared here: the package ships no header.
using EnterLeave = int (*)(int type, void* detail, void* user);
using TextCallback = int (*)(int type, const char* text, unsigned size, void* user);
struct MdParser {
  unsigned abi_version;
  unsigned flags;
  EnterLeave enter_block, leave_block, enter_span, leave_span;
  TextCallback text;
  void (*debug_log)(const char*, void*);
  void (*syntax)(void);
};
using MdParse = int (*)(const char* text, unsigned size, const MdParser* parser, void* user);

constexpr unsigned kMdPermissiveAutolinks = 0x0004 | 0x0008 | 0x0400;  // URL, e-mail, www.
constexpr unsigned kMdTables = 0x0100, kMdStrikethrough = 0x0200, kMdTasklists = 0x0800;
constexpr unsigned kMdLatexMath = 0x1000, kMdWikiLinks = 0x2000, kMdUnderline = 0x4000;
constexpr int kMdBlockDoc = 0, kMdBlockP = 9, kMdBlockTable = 10, kMdBlockTd = 15;
constexpr int kMdTextNormal = 0;

struct Parsed {
  std::string text;           // normal text, cells joined by '|'
  std::vector<int> blocks;    // every block entered
  int spans = 0;              // emphasis, links, code, ... entered
  std::vector<int> odd_text;  // text that is not plain (entity, HTML, code, math, ...)
};

MdParse load_md4c() {
  void* lib = dlopen("libmd4c.so.0", RTLD_NOW);
  return lib ? reinterpret_cast<MdParse>(dlsym(lib, "md_parse")) : nullptr;
}

Parsed parse_markdown(MdParse md_parse, const std::string& doc) {
  MdParser p{};
  p.flags =
      kMdPermissiveAutolinks | kMdTables | kMdStrikethrough | kMdTasklists | kMdLatexMath | kMdWikiLinks | kMdUnderline;
  p.enter_block = [](int type, void*, void* user) {
    auto* r = static_cast<Parsed*>(user);
    if (type == kMdBlockTd && !r->text.empty()) r->text += '|';
    r->blocks.push_back(type);
    return 0;
  };
  p.leave_block = [](int, void*, void*) { return 0; };
  p.enter_span = [](int, void*, void* user) {
    ++static_cast<Parsed*>(user)->spans;
    return 0;
  };
  p.leave_span = [](int, void*, void*) { return 0; };
  p.text = [](int type, const char* text, unsigned size, void* user) {
    auto* r = static_cast<Parsed*>(user);
    if (type != kMdTextNormal) r->odd_text.push_back(type);
    r->text.append(text, size);
    return 0;
  };
  Parsed r;
  EXPECT_EQ(md_parse(doc.data(), static_cast<unsigned>(doc.size()), &p, &r), 0);
  return r;
}

TEST(MarkdownEscape, ACommonMarkParserSeesOnlyTheLiteralText) {
  const MdParse md_parse = load_md4c();
  if (!md_parse) GTEST_SKIP() << "libmd4c.so.0 (Debian libmd4c0) not installed";
  for (const std::string& text : kHostile) {
    SCOPED_TRACE(text);
    const Parsed r = parse_markdown(md_parse, markdown_escape(text) + "\n");
    EXPECT_EQ(r.text, text);
    EXPECT_EQ(r.spans, 0);
    EXPECT_TRUE(r.odd_text.empty());
    EXPECT_EQ(r.blocks, (std::vector<int>{kMdBlockDoc, kMdBlockP}));
  }
}

TEST(MarkdownEscape, TableCellsAreLiteralToo) {
  const MdParse md_parse = load_md4c();
  if (!md_parse) GTEST_SKIP() << "libmd4c.so.0 (Debian libmd4c0) not installed";
  for (const std::string& text : kHostile) {
    SCOPED_TRACE(text);
    TextTable t;
    t.header = {"h"};
    t.rows = {{text}};
    const Parsed r = parse_markdown(md_parse, render_markdown(t));
    EXPECT_EQ(r.text, "h|" + text);
    EXPECT_EQ(r.spans, 0);
    EXPECT_TRUE(r.odd_text.empty());
    ASSERT_GE(r.blocks.size(), 2u);
    EXPECT_EQ(r.blocks[1], kMdBlockTable);
  }
}

}  // namespace
}  // namespace ms
