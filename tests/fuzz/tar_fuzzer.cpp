// libFuzzer target over the WebDataset tar shard indexer (images/sources/tar_shards.h), where a
// hostile or damaged shard arrives: each input is written to a shard file and indexed; it must
// index or be refused with std::runtime_error, and an index must keep the contract in
// tar_shard_check.h. Any other exception, crash, sanitizer report or broken contract is a bug.
// Build and run with `make fuzz` (clang), or by hand:
// build-fuzz/tests/tar_fuzzer -max_total_time=180 CORPUS_DIR tests/fuzz/corpus/tar_fuzzer
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

#include "tests/fuzz/tar_shard_check.h"

// One shard file per fuzzer process, created with mkstemp under $TMPDIR (no name another user can
// plant a link at), rewritten for every input and removed when the process exits normally.
struct ShardFile {
  std::string path;
  ShardFile() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/metasweep-tar-fuzzer-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) std::abort();
    ::close(fd);
    path = pattern;
  }
  ~ShardFile() { ::unlink(path.c_str()); }
};

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ShardFile shard;
  const std::string& path = shard.path;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) std::abort();
  }
  const std::string problem = ms::fuzz::tar_shard_problem(path, size);
  if (!problem.empty()) {
    std::fprintf(stderr, "tar_fuzzer: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
