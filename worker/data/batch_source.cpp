// The arithmetic every BatchSource shares (see batch_source.h): this rank's test chunks.
#include "worker/data/batch_source.h"

#include <algorithm>

#include "images/sources/sample_order.h"

namespace ms {

int64_t test_chunk_count(int64_t test_size, int rank, int size, int64_t chunk) {
  const auto [begin, end] = rank_slice(test_size, rank, size);
  return (end - begin + chunk - 1) / chunk;
}

TestRange test_chunk_range(int64_t test_size, int rank, int size, int64_t index, int64_t chunk) {
  const auto [begin, end] = rank_slice(test_size, rank, size);
  const int64_t offset = begin + index * chunk;
  return {offset, std::min(chunk, end - offset)};
}

}  // namespace ms
