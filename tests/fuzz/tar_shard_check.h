// The contract of index_tar_shards on any bytes in a shard file, shared by the libFuzzer target
// (tar_fuzzer.cpp) and the unit test that replays its corpus
// (tests/image_sources/tar_fuzz_corpus_test.cpp): a shard either indexes or raises
// std::runtime_error (anything else escapes); an index has samples, every record lies inside the
// shard and reads back, every label names a class, and tar_member_at finds each image's member.
#pragma once
#include <stdexcept>
#include <string>

#include "images/sources/tar_shards.h"

namespace ms::fuzz {

// What broke the contract for the shard file at `path` (`size` bytes), or "" when nothing did.
inline std::string tar_shard_problem(const std::string& path, uint64_t size) {
  ImageSet set;
  try {
    set = index_tar_shards(path);
  } catch (const std::runtime_error&) {
    return "";
  }
  if (set.records.empty()) return "an index without samples";
  if (set.files.size() != 1 || set.files[0] != path) return "the index names other files than the shard";
  for (const ImageRecord& r : set.records) {
    if (r.file != 0) return "a record of a shard that does not exist";
    if (r.offset > size || r.size > size - r.offset) return "a record beyond the end of the shard";
    if (r.label < 0 || static_cast<size_t>(r.label) >= set.classes.size()) return "a label that names no class";
    if (set.read(r).size() != r.size) return "a record that does not read back whole";
    if (tar_member_at(path, r.offset).empty()) return "tar_member_at does not find an indexed image";
  }
  return "";
}

}  // namespace ms::fuzz
