// libFuzzer target over the `--where` parser: any input must parse into a clause whose SQL holds
// only placeholders (as many as bound values), or raise ms::UsageError. Any other exception,
// crash or sanitizer report is a bug. Build and run with `make fuzz` (clang), or by hand:
// build-fuzz/tests/where_fuzzer -max_total_time=180 CORPUS_DIR tests/fuzz/corpus/where_fuzzer
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "results/store/where.h"
#include "sweeps/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string expr(reinterpret_cast<const char*>(data), size);
  try {
    const ms::WhereClause clause = ms::parse_where(expr);
    const ms::SqlFilter filter = ms::where_sql(clause);
    size_t placeholders = 0;
    for (char c : filter.sql) placeholders += c == '?';
    // The user's text never reaches the SQL: every '?' has a bound value and nothing else varies.
    if (placeholders != filter.params.size()) std::abort();
  } catch (const ms::UsageError&) {
  }
  return 0;
}
