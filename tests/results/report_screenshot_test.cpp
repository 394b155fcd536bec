// report.html rendered in headless Chromium: the page must load offline and paint a full report
// (table and inline plots), not an empty page. Chromium is a test dependency that
// scripts/install-deps.sh installs (run by `make test`): when it is missing the test fails
// rather than skip, because a test that always skips proves nothing (only `gpu` tests skip).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "results/reports/plots.h"
#include "results/reports/report.h"
#include "tests/results/results_fixture.h"
#include "tests/test_support.h"

namespace ms::test {
namespace {

const char* kChromium = "/usr/bin/chromium";

struct PngSize {
  uint32_t width = 0, height = 0;
};

// Width and height from the IHDR chunk, which a PNG file must start with (after the signature).
std::optional<PngSize> png_size(const std::string& bytes) {
  static const std::string signature = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, 8, signature) != 0 || bytes.compare(12, 4, "IHDR") != 0)
    return std::nullopt;
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return PngSize{be32(16), be32(20)};
}

TEST(ReportScreenshot, RendersInHeadlessChromium) {
  ASSERT_TRUE(std::filesystem::exists(kChromium)) << kChromium << " not installed: run scripts/install-deps.sh";
  TempDir dir;
  fill_tiny_db(dir.file("r.db"));
  const ResultStore store(dir.file("r.db"), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, "tiny", dir.file("report"));
  const std::string png = dir.file("report.png");
  const CommandResult r =
      run_command("timeout 60 " + std::string(kChromium) +
                  " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
                  " --disable-component-update --disable-sync --user-data-dir=" +
                  dir.file("profile") + " --screenshot=" + png + " --window-size=1280,2400 file://" + files.html);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(std::filesystem::exists(png)) << r.err;
  const std::string bytes = read_file(png);
  const auto size = png_size(bytes);
  ASSERT_TRUE(size) << "not a PNG: " << bytes.size() << " bytes";
  EXPECT_EQ(size->width, 1280u);
  EXPECT_EQ(size->height, 2400u);
  // Measured at 1280x2400: an empty page ~14 KB, a page with one heading ~16 KB, this report
  // ~320 KB with its 17 plots (gnuplot) and well above 40 KB with the table alone.
  const size_t floor = gnuplot_available() ? 150000 : 40000;
  EXPECT_GT(bytes.size(), floor) << "the screenshot looks blank";
  if (!gnuplot_available()) return;
  // A learning-curve panel on its own (bands, the dashed baseline, the key below): measured at
  // 660x420, a blank page ~2 KB, this panel ~37 KB.
  const std::string panel = dir.file("curves.png");
  const CommandResult c =
      run_command("timeout 60 " + std::string(kChromium) +
                  " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
                  " --disable-component-update --disable-sync --user-data-dir=" +
                  dir.file("profile") + " --screenshot=" + panel + " --window-size=660,420 file://" +
                  dir.file("report/plots/section1_test_acc.svg"));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const std::string curve_bytes = read_file(panel);
  ASSERT_TRUE(png_size(curve_bytes)) << "not a PNG";
  EXPECT_GT(curve_bytes.size(), 15000u) << "the curve panel looks blank";
}

}  // namespace
}  // namespace ms::test
