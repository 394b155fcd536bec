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

// A variant label of 180 characters wraps inside its cell: the table still fits the page's
// 1240 px column at a 1280 px window, instead of pushing the numbers out of view. Measured by
// Chromium's layout (a probe script writes the table's width into the DOM it dumps).
TEST(ReportScreenshot, ALongLabelWrapsAndTheTableFitsThePage) {
  ASSERT_TRUE(std::filesystem::exists(kChromium)) << kChromium << " not installed: run scripts/install-deps.sh";
  TempDir dir;
  const std::string label(180, 'w');
  const std::string text =
      "name: wide\nbase:\n  task: {dataset: synthetic-images, epochs: 1, batch_size: 16}\n"
      "  model: {depths: [1, 1, 1, 1], dims: [8, 16, 32, 64], mixers: pool, head_dim: 8}\n"
      "seeds: [0, 1]\nablations:\n  token mixer:\n    - {label: " +
      label.substr(0, 60) + " " + label.substr(60, 60) + label.substr(120) + ", model.mixers: identity}\n";
  const SweepSpec spec = parse_sweep(text, "wide.yaml", results_catalog());
  const std::vector<Job> jobs = expand_sweep(spec, results_catalog());
  {
    ResultStore store(dir.file("w.db"), OpenMode::Writer);
    store.register_sweep(spec, text, jobs, false);
    for (const Job& j : jobs) {
      store.job_started(j.id, "h");
      store.record_epoch(j.id, tiny_epoch(j.variant == "baseline" ? 0.8 : 0.7 + 0.01 * j.seed, 1, j.seed));
      store.job_finished(j.id, JobStatus::Done, "", 1);
    }
  }
  const ResultStore store(dir.file("w.db"), OpenMode::ReadOnly);
  const ReportFiles files = write_report(store, "wide", dir.file("report"));
  std::string page = read_file(files.html);
  const std::string probe =
      "<script>window.addEventListener('load',()=>{const t=document.querySelector('table.ablation');"
      "document.body.setAttribute('data-table-width',Math.round(t.getBoundingClientRect().width));});</script>";
  page.insert(page.rfind("</body>"), probe);
  const std::string probe_html = dir.write("probe.html", page);
  const CommandResult r =
      run_command("timeout 60 " + std::string(kChromium) +
                  " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
                  " --disable-component-update --disable-sync --user-data-dir=" +
                  dir.file("profile") + " --window-size=1280,2000 --dump-dom file://" + probe_html);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const size_t at = r.out.find("data-table-width=\"");
  ASSERT_NE(at, std::string::npos) << r.out.substr(0, 2000);
  const int width = std::stoi(r.out.substr(at + 18));
  EXPECT_GT(width, 300);
  EXPECT_LE(width, 1240) << "the long label keeps the table wider than the page";
}

}  // namespace
}  // namespace ms::test
