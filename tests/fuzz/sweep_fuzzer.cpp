// libFuzzer target over the sweep parser and expander: any input must plan or raise a
// UsageError/SpecError. Build with `make fuzz` (clang), run: build-fuzz/tests/sweep_fuzzer CORPUS
#include <cstddef>
#include <cstdint>
#include <string>

#include "errors.h"
#include "job.h"
#include "sweep_spec.h"

namespace {
const ms::Catalog& fuzz_catalog() {
  static const ms::Catalog catalog{{{"identity", false, true, false, ""},
                                    {"pool", false, true, false, ""},
                                    {"attention", false, true, true, ""},
                                    {"spatial_fc", true, true, false, ""},
                                    {"fourier", false, false, false, ""}}};
  return catalog;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    ms::expand_sweep(ms::parse_sweep(text, "fuzz.yaml", fuzz_catalog()), fuzz_catalog());
  } catch (const ms::UsageError&) {
  }
  return 0;
}
