// libFuzzer target over the JPEG/PNG decoders (images/decode.h), where hostile files from an image
// folder or a tar shard arrive: any input must decode or be refused with std::runtime_error /
// std::invalid_argument, and every decode (whole, grey, cropped, reduced) must keep the contract in
// image_decode_check.h. Any other exception, crash, sanitizer report or broken contract is a bug.
// Build and run with `make fuzz` (clang), or by hand:
// build-fuzz/tests/image_fuzzer -max_total_time=180 CORPUS_DIR tests/fuzz/corpus/image_fuzzer
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/fuzz/image_decode_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string problem = ms::fuzz::image_decode_problem(bytes);
  if (!problem.empty()) {
    std::fprintf(stderr, "image_fuzzer: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
