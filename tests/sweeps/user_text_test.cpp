// The user-text rule (sweeps/user_text.h) on its own: what one-line text and free text refuse and
// allow, how the reason shows the text, and where in a file the first refused byte is.
#include "sweeps/user_text.h"

#include <gtest/gtest.h>

namespace ms {
namespace {

TEST(UserText, OneLineTextRefusesEveryControlCharacterAndBadUtf8) {
  for (const std::string& bad :
       {std::string("bad\x01"
                    "ctrl"),
        std::string("a\nb"), std::string("a\tb"), std::string("x\x7f"), std::string("\xff"), std::string("caf\xc3"),
        std::string("csi \xc2\x9b"
                    "31m"),
        std::string("\x1b[31mRED"), std::string("nul\0in", 6)}) {
    const auto problem = text_problem(bad, "label");
    ASSERT_TRUE(problem) << printable(bad);
    EXPECT_EQ(problem->rfind("label '", 0), 0u) << *problem;
    EXPECT_TRUE(valid_utf8(*problem)) << "the reason itself is clean UTF-8";
    EXPECT_FALSE(first_bad_text_byte(*problem)) << *problem;
  }
  EXPECT_NE(text_problem("top1\x07"
                         "bell",
                         "reference_metric")
                ->find("contains a control character (U+0007"),
            std::string::npos);
  EXPECT_NE(text_problem("\xff", "note", TextKind::FreeText)->find("is not valid UTF-8"), std::string::npos);
}

TEST(UserText, FreeTextAllowsLineBreaksAndTabsOnly) {
  EXPECT_FALSE(text_problem("line one\n\tline two\n", "note", TextKind::FreeText));
  EXPECT_TRUE(text_problem("a\rb", "note", TextKind::FreeText));
  EXPECT_TRUE(
      text_problem("a\x01"
                   "b",
                   "note", TextKind::FreeText));
  EXPECT_TRUE(text_problem("\x1b[31m", "note", TextKind::FreeText));
  EXPECT_FALSE(text_problem("Δ café 注意 [P,P,A,A] *x* 50%", "label"));
  EXPECT_FALSE(text_problem("", "label"));  // emptiness is the caller's rule
}

TEST(UserText, FirstFlawOfAFileHasLineAndColumn) {
  const auto flaw = first_text_flaw("name: x\r\n# comment\tok\ndescription: a\x07", TextKind::Source);
  ASSERT_TRUE(flaw);
  EXPECT_EQ(flaw->at.line, 3);
  EXPECT_EQ(flaw->at.col, 15);
  EXPECT_EQ(flaw->reason, "contains a control character (U+0007) here");
  EXPECT_FALSE(first_text_flaw("name: x\r\n\tdescription: y\n", TextKind::Source));
  EXPECT_EQ(first_text_flaw("a\n\xff", TextKind::Source)->reason, "is not valid UTF-8 (ill-formed byte here)");
}

TEST(UserText, PrintableShowsControlsAndBadBytesAsHex) {
  EXPECT_EQ(printable("a\x01\xc2\x9b\xff\nb"), "a\\x01\\xC2\\x9B\\xFF\\x0Ab");
  EXPECT_EQ(printable("café"), "café");
}

}  // namespace
}  // namespace ms
