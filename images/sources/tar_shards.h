// WebDataset tar shards as an ImageSet, and writing such shards. A shard is a tar file (ustar,
// POSIX pax or GNU) whose members are grouped into samples by key, as WebDataset groups them:
// consecutive members with the same key (the member path up to the first '.' of its base name)
// form one sample, and the rest of the name, lower-cased, is the member's extension. A sample
// has one image (jpg, jpeg or png) and one cls member (its label, an ASCII integer); other
// members are ignored. Indexing reads each shard's headers in order (and the small cls members)
// but never the images: a record is (shard, offset of the image bytes, size, label).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "images/sources/image_set.h"
#include "sweeps/shard_pattern.h"  // expand_braces

namespace ms {

// The shard files `source` names: an existing folder gives all its *.tar files in byte order;
// an existing file is the one shard; anything else is expanded with expand_braces. Throws
// std::runtime_error when there is no shard at all.
std::vector<std::string> list_shards(const std::string& source);

// Indexes the shards of `source` (see list_shards). Records come shard by shard in member order;
// labels are the cls values and classes are "0".."K-1" for the largest label K-1. Throws
// std::runtime_error, one line naming the shard (and the byte offset or sample key), for: no
// shards, a shard that cannot be read, is not a tar or is truncated, a header checksum mismatch,
// a sample without an image or without a cls member, two members with the same extension in a
// sample, a label that is not a non-negative integer, and no samples at all.
ImageSet index_tar_shards(const std::string& source);

// How many shards of `set` (of 2+ images each) hold images of a single class, when the set has
// two classes or more (else 0). Shards are shuffled as wholes and within themselves, never across
// (sample_order.h, as WebDataset without a shuffle buffer): shards written class by class (a
// conversion in ImageFolder order) give batches of one class, and the model learns far less.
size_t single_class_shards(const ImageSet& set);

// The path of the member of tar file `shard` whose bytes start at `data_offset` (an
// ImageRecord's offset), for messages about that image; "" when there is none or the shard
// cannot be walked. Reads the headers up to that member: for error paths, not for every image.
std::string tar_member_at(const std::string& shard, uint64_t data_offset);

// Writes a tar file of regular members in the ustar format (names longer than ustar holds go in
// a pax header), with correct checksums, mode 0644 and mtime 0 (so equal input gives equal bytes).
// The file is created or truncated on construction; finish() writes the end-of-archive blocks
// and closes it. A writer destroyed without finish() (an exception on the way) removes its file,
// so no shard that looks complete is left behind.
class TarWriter {
 public:
  explicit TarWriter(const std::string& path);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // Appends member `name` (a relative path, not empty, no NUL byte) holding `bytes`.
  void add(const std::string& name, const std::string& bytes);
  void finish();
  const std::string& path() const { return path_; }

 private:
  void write(const char* data, size_t size);
  std::string path_;
  int fd_ = -1;
};

// Writes samples into numbered shards of `per_shard` samples each: PREFIX-000000.tar,
// PREFIX-000001.tar, ... (readable back with "PREFIX-{000000..00000N}.tar"). Each sample becomes
// the members KEY.EXT (the image) and KEY.cls (the label in decimal).
class ShardWriter {
 public:
  ShardWriter(std::string prefix, size_t per_shard);

  // `key`: a relative path whose base name has no '.'; `ext`: jpg, jpeg or png; `label` >= 0.
  // Throws std::invalid_argument otherwise.
  void add(const std::string& key, const std::string& image, const std::string& ext, int32_t label);
  // Finishes the last shard; returns the paths of all shards written.
  std::vector<std::string> finish();

 private:
  std::string prefix_;
  size_t per_shard_, in_shard_ = 0;
  std::vector<std::string> paths_;
  std::unique_ptr<TarWriter> writer_;
};

}  // namespace ms
