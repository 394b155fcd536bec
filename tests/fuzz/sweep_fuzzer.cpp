// libFuzzer target over the sweep parser and expander: any input must plan or raise a
// UsageError/SpecError; any other exception, crash or sanitizer report is a bug. It uses the
// sweep tests' mixer catalog, so the regression corpus (corpus/sweep_fuzzer/) replays the same way
// in tests/sweeps/fuzz_corpus_test.cpp. Build and run with `make fuzz` (clang), or by hand:
// build-fuzz/tests/sweep_fuzzer -max_total_time=180 CORPUS_DIR tests/fuzz/corpus/sweep_fuzzer
#include <cstddef>
#include <cstdint>
#include <string>

#include "sweeps/errors.h"
#include "sweeps/job.h"
#include "sweeps/sweep_spec.h"
#include "tests/sweeps/test_catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    ms::expand_sweep(ms::parse_sweep(text, "fuzz.yaml", ms::test::test_catalog()), ms::test::test_catalog());
  } catch (const ms::UsageError&) {
  }
  return 0;
}
