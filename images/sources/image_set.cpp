// Positioned reads of indexed images (see image_set.h).
#include "images/sources/image_set.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

#include <sys/stat.h>

namespace ms {

// O_NONBLOCK: opening a FIFO without a writer would wait for ever (a shard pattern or folder may
// name one); such a file is refused before any read. On a regular file the flag changes nothing.
InputFile::InputFile(const std::string& path)
    : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)) {
  if (fd_ < 0) throw std::runtime_error(printable(path) + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const bool folder = S_ISDIR(st.st_mode);
    ::close(fd_);
    throw std::runtime_error(printable(path) + (folder ? ": is a folder, not a file"
                                                       : ": not a regular file (a FIFO, socket or device could block "
                                                         "the job for ever)"));
  }
}

InputFile::~InputFile() { ::close(fd_); }

uint64_t InputFile::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) throw std::runtime_error(printable(path_) + ": cannot stat: " + std::strerror(errno));
  return static_cast<uint64_t>(st.st_size);
}

std::string InputFile::read(uint64_t offset, uint64_t size) const {
  std::string bytes(size, '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pread(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(printable(path_) + ": read failed: " + std::strerror(errno));
    if (n == 0)
      throw std::runtime_error(printable(path_) + ": truncated: expected " + std::to_string(size) +
                               " bytes at offset " + std::to_string(offset) + ", the file ends after " +
                               std::to_string(done));
    done += static_cast<size_t>(n);
  }
  return bytes;
}

std::string ImageSet::read(const ImageRecord& record) const {
  if (record.file >= files.size()) throw std::out_of_range("image record names file " + std::to_string(record.file));
  return InputFile(files[record.file]).read(record.offset, record.size);
}

namespace {

// RAII for an open directory stream.
class Dir {
 public:
  explicit Dir(const std::string& path) : dir_(::opendir(path.c_str())) {}
  ~Dir() {
    if (dir_) ::closedir(dir_);
  }
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;
  DIR* get() const { return dir_; }

 private:
  DIR* dir_;
};

}  // namespace

std::vector<std::string> folder_entries(const std::string& path) {
  Dir dir(path);
  if (!dir.get()) throw std::runtime_error(printable(path) + ": cannot open folder: " + std::strerror(errno));
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (!entry) {
      if (errno != 0) throw std::runtime_error(printable(path) + ": cannot read folder: " + std::strerror(errno));
      return names;
    }
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
}

}  // namespace ms
