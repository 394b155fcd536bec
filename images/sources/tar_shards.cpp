// Indexing and writing WebDataset tar shards (see tar_shards.h).
#include "images/sources/tar_shards.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <unistd.h>

#include <sys/stat.h>

namespace ms {

namespace {

constexpr uint64_t kBlock = 512;
constexpr uint64_t kMaxExtendedHeader = 1 << 20;  // a pax or GNU long-name payload larger than this is refused
constexpr uint64_t kMaxLabelBytes = 64;
// Classes are materialised as names "0".."K-1" on every rank: a stray large label (16777215 cost
// 12 s and 700 MB before the class count was checked) is refused here. ImageNet-21k has 21843.
constexpr int64_t kMaxLabel = (1 << 20) - 1;

// Header fields: offset and length in the 512-byte block.
constexpr size_t kName = 0, kNameLen = 100, kMode = 100, kUid = 108, kGid = 116, kSize = 124, kSizeLen = 12,
                 kMtime = 136, kChecksum = 148, kChecksumLen = 8, kType = 156, kMagic = 257, kPrefix = 345,
                 kPrefixLen = 155;

uint64_t round_up(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// A NUL-terminated field (or the whole field when it has no NUL).
std::string field(const std::string& block, size_t offset, size_t length) {
  const char* begin = block.data() + offset;
  return std::string(begin, strnlen(begin, length));
}

// A numeric header field: octal digits between optional spaces, up to a NUL (like Python's
// tarfile.nti), or GNU's base-256 (first byte 0x80, or 0xFF for a negative number). Returns
// false for anything else, a negative number or one that does not fit in 63 bits.
bool parse_number(const std::string& block, size_t offset, size_t length, uint64_t& value) {
  const auto first = static_cast<unsigned char>(block[offset]);
  value = 0;
  if (first == 0x80 || first == 0xFF) {
    if (first == 0xFF) return false;
    for (size_t i = 1; i < length; ++i) {
      if (value >> 55) return false;
      value = value << 8 | static_cast<unsigned char>(block[offset + i]);
    }
    return value >> 63 == 0;
  }
  std::string digits = field(block, offset, length);
  const size_t begin = digits.find_first_not_of(' '), end = digits.find_last_not_of(' ');
  digits = begin == std::string::npos ? "" : digits.substr(begin, end - begin + 1);
  for (char c : digits) {
    if (c < '0' || c > '7' || value >> 60) return false;
    value = value << 3 | static_cast<uint64_t>(c - '0');
  }
  return true;
}

// Whether the header's checksum field matches the sum of its bytes (the field itself counted as
// spaces), as unsigned or as signed bytes: tar implementations have written both.
bool checksum_ok(const std::string& block) {
  uint64_t stored = 0;
  if (!parse_number(block, kChecksum, kChecksumLen, stored)) return false;
  int64_t unsigned_sum = 0, signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= kChecksum && i < kChecksum + kChecksumLen;
    unsigned_sum += in_field ? ' ' : static_cast<unsigned char>(block[i]);
    signed_sum += in_field ? ' ' : static_cast<signed char>(block[i]);
  }
  return static_cast<int64_t>(stored) == unsigned_sum || static_cast<int64_t>(stored) == signed_sum;
}

// Parses pax extended header records ("LENGTH KEY=VALUE\n", LENGTH counting the whole record)
// into `into`. Returns false when a record is malformed.
bool parse_pax(const std::string& data, std::map<std::string, std::string>& into) {
  size_t pos = 0;
  while (pos < data.size()) {
    if (data[pos] == '\0') break;  // padding some writers leave after the last record
    const size_t space = data.find(' ', pos);
    if (space == std::string::npos || space == pos || space - pos > 20) return false;
    uint64_t length = 0;
    for (size_t i = pos; i < space; ++i) {
      if (data[i] < '0' || data[i] > '9') return false;
      length = length * 10 + static_cast<uint64_t>(data[i] - '0');
    }
    if (length <= space - pos + 1 || pos + length > data.size() || data[pos + length - 1] != '\n') return false;
    const std::string record = data.substr(space + 1, pos + length - 1 - (space + 1));
    const size_t equals = record.find('=');
    if (equals == std::string::npos || equals == 0) return false;
    into[record.substr(0, equals)] = record.substr(equals + 1);
    pos += length;
  }
  return true;
}

// WebDataset's key and extension of a member path (webdataset.tariterators.base_plus_ext): the
// path up to the first '.' of its base name, and the rest. False when the base name has no '.'
// or starts with one.
bool split_key(const std::string& path, std::string& key, std::string& ext) {
  const size_t slash = path.rfind('/');
  const size_t base = slash == std::string::npos ? 0 : slash + 1;
  const size_t dot = path.find('.', base);
  if (dot == std::string::npos || dot == base) return false;
  key = path.substr(0, dot);
  ext = ascii_lower(path.substr(dot + 1));
  return true;
}

// WebDataset skips members whose first path component is __NAME__ (its metadata).
bool is_meta(const std::string& path) {
  const std::string first = path.substr(0, path.find('/'));
  return first.size() >= 4 && first.compare(0, 2, "__") == 0 && first.compare(first.size() - 2, 2, "__") == 0;
}

bool is_image_ext(const std::string& ext) { return ext == "jpg" || ext == "jpeg" || ext == "png"; }

// A regular member of a shard: its path and where its bytes are.
struct Member {
  std::string path;
  uint64_t offset = 0, size = 0;
};

// One sample being grouped: its key and members by extension.
struct Sample {
  std::string key;
  std::map<std::string, Member> members;
};

// A shard's problem: std::runtime_error naming the shard.
[[noreturn]] void shard_error(const InputFile& file, const std::string& problem) {
  throw std::runtime_error(printable(file.path()) + ": " + problem);
}

// Walks the headers of one tar file in order and hands every regular member (after pax, GNU
// long-name and ustar-prefix resolution) to `visit`, until the end-of-archive block or until
// `visit` returns false. Throws std::runtime_error naming the file and the byte offset for a file
// that is not a tar archive, is truncated, or has a bad header.
class TarMemberWalk {
 public:
  explicit TarMemberWalk(const InputFile& file) : file_(file) {}

  void run(const std::function<bool(const Member&)>& visit) const {
    const uint64_t file_size = file_.size();
    if (file_size == 0) fail("empty file, not a tar archive");
    std::map<std::string, std::string> global_pax, local_pax;
    std::string long_name;
    bool have_long_name = false;
    uint64_t offset = 0;
    for (bool first = true;; first = false) {
      if (offset + kBlock > file_size) {
        if (offset >= file_size)  // (past it when the last member's padding is missing)
          fail("truncated: the file ends at offset " + at(file_size) + " without the end-of-archive block");
        fail("truncated: the file ends inside the header at offset " + at(offset));
      }
      const std::string block = file_.read(offset, kBlock);
      if (block.find_first_not_of('\0') == std::string::npos) return;  // end of archive
      if (!checksum_ok(block)) {
        if (first) fail("not a tar archive (no valid tar header at offset 0)");
        fail("header checksum mismatch at offset " + at(offset));
      }
      char type = block[kType];
      uint64_t size = 0;
      if (!parse_number(block, kSize, kSizeLen, size)) fail("bad size field in the header at offset " + at(offset));
      std::map<std::string, std::string> pax = global_pax;
      for (const auto& [key, value] : local_pax) pax[key] = value;
      const bool extended = type == 'x' || type == 'g' || type == 'L' || type == 'K';
      if (!extended && pax.count("size")) {
        const std::string& s = pax["size"];
        if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
          fail("bad pax size \"" + printable(s) + "\" for the member at offset " + at(offset));
        size = std::stoull(s);
      }
      std::string name = field(block, kName, kNameLen);
      if (type == '\0' && !name.empty() && name.back() == '/') type = '5';  // old tar's directories
      // Members of these types have no data blocks whatever their size field says (as in tarfile).
      const bool has_data = std::string("123456").find(type) == std::string::npos;
      const uint64_t data = offset + kBlock;
      if (has_data && size > file_size - data)
        fail("truncated: the member at offset " + at(offset) + " needs " + std::to_string(size) +
             " bytes, the file ends after " + std::to_string(file_size - data));
      const uint64_t next = data + (has_data ? round_up(size) : 0);
      if (extended && size > kMaxExtendedHeader)
        fail("extended header at offset " + at(offset) + " is too large (" + std::to_string(size) + " bytes)");
      if (type == 'x' || type == 'g') {
        if (!parse_pax(file_.read(data, size), type == 'x' ? local_pax : global_pax))
          fail("malformed pax header at offset " + at(offset));
      } else if (type == 'L') {
        const std::string payload = file_.read(data, size);
        long_name = payload.substr(0, payload.find('\0'));
        have_long_name = true;
      } else if (type == 'K') {
        // a GNU long link name: links are skipped anyway
      } else if (type == 'S') {
        fail("GNU sparse member at offset " + at(offset) + " is not supported");
      } else {
        if (type == '0' || type == '\0' || type == '7') {
          if (pax.count("path")) {
            name = pax["path"];
          } else if (have_long_name) {
            name = long_name;
          } else if (block.compare(kMagic, 6, std::string("ustar\0", 6)) == 0) {
            const std::string prefix = field(block, kPrefix, kPrefixLen);
            if (!prefix.empty()) name = prefix + "/" + name;
          }
          if (!visit(Member{name, data, size})) return;
        }
        local_pax.clear();
        have_long_name = false;
      }
      offset = next;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const { shard_error(file_, problem); }
  static std::string at(uint64_t offset) { return std::to_string(offset); }

  const InputFile& file_;
};

class ShardIndexer {
 public:
  ShardIndexer(const std::string& path, uint32_t index, ImageSet& set) : file_(path), index_(index), set_(set) {}

  // Reads every header of the shard and appends its samples to the set.
  void run() {
    TarMemberWalk(file_).run([this](const Member& member) {
      add_member(member);
      return true;
    });
    finish_sample();
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const { shard_error(file_, problem); }

  void add_member(const Member& member) {
    if (is_meta(member.path)) return;
    std::string key, ext;
    if (!split_key(member.path, key, ext)) return;
    if (!sample_ || sample_->key != key) {
      finish_sample();
      sample_ = Sample{key, {}};
    }
    if (!sample_->members.emplace(ext, member).second)
      fail("sample \"" + printable(key) + "\" has two ." + printable(ext) + " members");
  }

  void finish_sample() {
    if (!sample_) return;
    const Sample sample = std::move(*sample_);
    sample_.reset();
    const std::string where = "sample \"" + printable(sample.key) + "\" ";
    const Member* image = nullptr;
    for (const auto& [ext, member] : sample.members) {
      if (!is_image_ext(ext)) continue;
      if (image) fail(where + "has more than one image (jpg, jpeg, png)");
      image = &member;
    }
    if (!image) fail(where + "has no image member (.jpg, .jpeg or .png)");
    const auto cls = sample.members.find("cls");
    if (cls == sample.members.end()) fail(where + "has no .cls member (its label)");
    if (cls->second.size > kMaxLabelBytes)
      fail(where + "has a .cls member of " + std::to_string(cls->second.size) + " bytes, not a label");
    std::string text = file_.read(cls->second.offset, cls->second.size);
    const char* space = " \t\n\r\v\f";
    const size_t begin = text.find_first_not_of(space), end = text.find_last_not_of(space);
    text = begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
    const bool negative = !text.empty() && text[0] == '-';
    const std::string digits = negative ? text.substr(1) : text;
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
      fail(where + "has label \"" + printable(text) + "\", not an integer");
    if (negative) fail(where + "has a negative label " + printable(text));
    if (digits.size() > 18 || std::stoll(digits) > kMaxLabel)
      fail(where + "has label " + digits + ", above the largest supported " + std::to_string(kMaxLabel));
    ImageRecord record;
    record.file = index_;
    record.offset = image->offset;
    record.size = image->size;
    record.label = static_cast<int32_t>(std::stoll(digits));
    set_.records.push_back(record);
  }

  InputFile file_;
  uint32_t index_;
  ImageSet& set_;
  std::optional<Sample> sample_;
};

// Octal digits of `value` in a field of `length` bytes: zero-padded, NUL-terminated.
void put_octal(std::string& block, size_t offset, size_t length, uint64_t value) {
  for (size_t i = length - 1; i-- > 0; value >>= 3) block[offset + i] = static_cast<char>('0' + (value & 7));
  block[offset + length - 1] = '\0';
}

// A pax record "LENGTH KEY=VALUE\n" whose LENGTH counts the whole record, its own digits included.
std::string pax_record(const std::string& key, const std::string& value) {
  const size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t length = body + 1;
  while (std::to_string(length).size() + body != length) ++length;
  return std::to_string(length) + " " + key + "=" + value + "\n";
}

// A ustar header block for a member of `type` named `name` (already fitting the ustar fields).
std::string header(const std::string& name, const std::string& prefix, uint64_t size, char type) {
  std::string block(kBlock, '\0');
  block.replace(kName, name.size(), name);
  put_octal(block, kMode, 8, 0644);
  put_octal(block, kUid, 8, 0);
  put_octal(block, kGid, 8, 0);
  put_octal(block, kSize, kSizeLen, size);
  put_octal(block, kMtime, 12, 0);
  block[kType] = type;
  block.replace(kMagic, 8,
                std::string("ustar\0"
                            "00",
                            8));
  block.replace(kPrefix, prefix.size(), prefix);
  uint64_t sum = 0;
  block.replace(kChecksum, kChecksumLen, std::string(kChecksumLen, ' '));
  for (char c : block) sum += static_cast<unsigned char>(c);
  put_octal(block, kChecksum, 7, sum);  // six digits, NUL, and the space already there
  return block;
}

}  // namespace

std::vector<std::string> list_shards(const std::string& source) {
  struct stat st;
  if (::stat(source.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::vector<std::string> shards;
    for (const std::string& name : folder_entries(source)) {
      const std::string path = source + "/" + name;
      struct stat file;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tar") == 0 && ::stat(path.c_str(), &file) == 0 &&
          S_ISREG(file.st_mode))
        shards.push_back(path);
    }
    if (shards.empty()) throw std::runtime_error(printable(source) + ": no shards (no *.tar file in the folder)");
    std::sort(shards.begin(), shards.end());
    return shards;
  }
  if (::stat(source.c_str(), &st) == 0) return {source};
  std::vector<std::string> shards = expand_braces(source);
  if (shards.size() == 1 && shards[0] == source)
    throw std::runtime_error(printable(source) + ": no shards (no such file or folder" +
                             (source.find('{') == std::string::npos
                                  ? std::string(", and no {..} pattern)")
                                  : std::string(", and its braces are no pattern: {000000..000099}, {a..e} or "
                                                "{train,val})")));
  return shards;
}

std::string tar_member_at(const std::string& shard, uint64_t data_offset) {
  std::string name;
  try {
    const InputFile file(shard);
    TarMemberWalk(file).run([&](const Member& member) {
      if (member.offset == data_offset) name = member.path;
      return name.empty() && member.offset < data_offset;
    });
  } catch (const std::exception&) {
    return "";  // (asked on the way to reporting another error: that error is the one to report)
  }
  return name;
}

size_t single_class_shards(const ImageSet& set) {
  constexpr int32_t kNone = -1, kMixed = -2;
  std::vector<int32_t> label(set.files.size(), kNone);  // per shard: its one label, or kMixed
  std::vector<size_t> images(set.files.size(), 0);
  std::set<int32_t> labels;
  for (const ImageRecord& r : set.records) {
    int32_t& l = label.at(r.file);
    l = l == kNone || l == r.label ? r.label : kMixed;
    ++images[r.file];
    labels.insert(r.label);
  }
  if (labels.size() < 2) return 0;
  size_t single = 0;
  for (size_t f = 0; f < label.size(); ++f) single += images[f] >= 2 && label[f] >= 0;
  return single;
}

ImageSet index_tar_shards(const std::string& source) {
  ImageSet set;
  set.files = list_shards(source);
  if (set.files.size() > UINT32_MAX) throw std::runtime_error(printable(source) + ": too many shards");
  for (size_t i = 0; i < set.files.size(); ++i) ShardIndexer(set.files[i], static_cast<uint32_t>(i), set).run();
  if (set.records.empty())
    throw std::runtime_error(printable(source) + ": no samples in " + std::to_string(set.files.size()) + " shard(s)");
  int32_t top = 0;
  for (const ImageRecord& r : set.records) top = std::max(top, r.label);
  for (int32_t label = 0; label <= top; ++label) set.classes.push_back(std::to_string(label));
  return set;
}

TarWriter::TarWriter(const std::string& path)
    : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {
  if (fd_ < 0) throw std::runtime_error(printable(path) + ": cannot create: " + std::strerror(errno));
}

TarWriter::~TarWriter() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink(path_.c_str());
}

void TarWriter::write(const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(printable(path_) + ": write failed: " + std::strerror(errno));
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void TarWriter::add(const std::string& name, const std::string& bytes) {
  if (fd_ < 0) throw std::logic_error(printable(path_) + ": add after finish");
  if (name.empty() || name.find('\0') != std::string::npos)
    throw std::invalid_argument("tar member name \"" + printable(name) + "\" is empty or has a NUL byte");
  const uint64_t size = bytes.size();
  std::string short_name = name, prefix;
  if (name.size() > kNameLen) {
    // ustar's split: PREFIX/NAME with at most 155 and 100 bytes; else a pax path record.
    const size_t slash = name.rfind('/', kPrefixLen);
    if (slash != std::string::npos && slash > 0 && name.size() - slash - 1 <= kNameLen && name.size() - slash - 1 > 0) {
      prefix = name.substr(0, slash);
      short_name = name.substr(slash + 1);
    } else {
      short_name = name.substr(name.size() - kNameLen);
    }
  }
  std::string pax;
  if (prefix.empty() && short_name != name) pax += pax_record("path", name);
  if (size > 077777777777ULL) pax += pax_record("size", std::to_string(size));
  if (!pax.empty()) {
    const std::string h = header("././@PaxHeader", "", pax.size(), 'x');
    pax.resize(round_up(pax.size()), '\0');
    write(h.data(), h.size());
    write(pax.data(), pax.size());
  }
  const std::string h = header(short_name, prefix, size > 077777777777ULL ? 0 : size, '0');
  write(h.data(), h.size());
  write(bytes.data(), bytes.size());
  const std::string padding(round_up(size) - size, '\0');
  write(padding.data(), padding.size());
}

void TarWriter::finish() {
  if (fd_ < 0) return;
  const std::string end(2 * kBlock, '\0');
  write(end.data(), end.size());
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    ::unlink(path_.c_str());
    throw std::runtime_error(printable(path_) + ": close failed: " + std::strerror(errno));
  }
}

ShardWriter::ShardWriter(std::string prefix, size_t per_shard) : prefix_(std::move(prefix)), per_shard_(per_shard) {
  if (per_shard_ == 0) throw std::invalid_argument("shards need at least one sample each");
}

void ShardWriter::add(const std::string& key, const std::string& image, const std::string& ext, int32_t label) {
  const size_t base = key.rfind('/') == std::string::npos ? 0 : key.rfind('/') + 1;
  if (base == key.size() || key.find('.', base) != std::string::npos || key.find('\0') != std::string::npos)
    throw std::invalid_argument("sample key \"" + printable(key) + "\" needs a base name without '.'");
  if (!is_image_ext(ext))
    throw std::invalid_argument("image extension \"" + printable(ext) + "\" is not jpg, jpeg or png");
  if (label < 0) throw std::invalid_argument("sample \"" + printable(key) + "\" has a negative label");
  if (!writer_ || in_shard_ == per_shard_) {
    if (writer_) writer_->finish();
    std::string number = std::to_string(paths_.size());
    if (number.size() < 6) number.insert(0, 6 - number.size(), '0');
    writer_ = std::make_unique<TarWriter>(prefix_ + "-" + number + ".tar");
    paths_.push_back(writer_->path());
    in_shard_ = 0;
  }
  writer_->add(key + "." + ext, image);
  writer_->add(key + ".cls", std::to_string(label));
  ++in_shard_;
}

std::vector<std::string> ShardWriter::finish() {
  if (writer_) writer_->finish();
  writer_.reset();
  return paths_;
}

}  // namespace ms
