// An on-disk image dataset as an index: for every image, the file that holds its encoded bytes
// (an image file of a folder, or a tar shard), where in that file, how many bytes, and its label.
// Built once when a job starts (image_folder.h, tar_shards.h); afterwards any image is one
// positioned read away, so every rank reads only the images of its own share of each batch.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sweeps/user_text.h"  // printable(): file and class names in messages

namespace ms {

struct ImageRecord {
  uint32_t file = 0;    // index into ImageSet::files
  uint64_t offset = 0;  // first byte of the encoded image in that file (0 for a folder's image)
  uint64_t size = 0;    // encoded bytes
  int32_t label = 0;    // class index, 0-based
};

struct ImageSet {
  std::vector<std::string> files;    // image files or tar shards, by ImageRecord::file
  std::vector<std::string> classes;  // class names, by label
  std::vector<ImageRecord> records;  // in a fixed order (the order a shuffle permutes)

  size_t size() const { return records.size(); }
  // The encoded bytes of `record` (one positioned read). Throws std::runtime_error naming the
  // file when it cannot be opened or is shorter than the index says.
  std::string read(const ImageRecord& record) const;
};

// A file open for positioned reads (RAII on the descriptor). Errors are std::runtime_error naming
// the file: it cannot be opened, read, or is shorter than a read asks.
class InputFile {
 public:
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const;
  // Exactly `size` bytes from `offset`.
  std::string read(uint64_t offset, uint64_t size) const;

 private:
  std::string path_;
  int fd_;
};

// The entry names of folder `path`, without "." and "..", in the order the file system gives.
// Throws std::runtime_error naming the folder when it cannot be opened or read.
std::vector<std::string> folder_entries(const std::string& path);

}  // namespace ms
