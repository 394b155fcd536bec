// Reads a whole data file into memory, transparently inflating gzip (.gz) files. Used by the
// IDX and CIFAR readers; errors name the path.
#pragma once
#include <string>

namespace ms {

// The file's bytes; gzip content (magic 1f 8b) is decompressed. Throws std::runtime_error
// naming `path` when the file is missing, unreadable or a truncated/corrupt gzip stream.
std::string read_maybe_gzipped(const std::string& path);

}  // namespace ms
