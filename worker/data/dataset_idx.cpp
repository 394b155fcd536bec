// IDX parsing: big-endian header (magic, dimension sizes) then raw unsigned bytes.
#include "worker/data/dataset_idx.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "worker/data/dataset_gzip.h"

namespace ms {

namespace {

uint32_t be32(const std::string& bytes, size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + offset;
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Validates magic and size; returns the dimension sizes.
std::vector<int64_t> parse_header(const std::string& path, const std::string& bytes, uint32_t magic, int dims) {
  const size_t header = 4 + 4 * size_t(dims);
  if (bytes.size() < 4)
    throw std::runtime_error(path + ": expected IDX magic " + hex32(magic) + ", got a " + std::to_string(bytes.size()) +
                             "-byte file");
  const uint32_t got = be32(bytes, 0);
  if (got != magic) throw std::runtime_error(path + ": expected IDX magic " + hex32(magic) + ", got " + hex32(got));
  if (bytes.size() < header)
    throw std::runtime_error(path + ": truncated IDX header (" + std::to_string(bytes.size()) + " bytes)");
  std::vector<int64_t> sizes;
  int64_t count = 1;
  for (int i = 0; i < dims; ++i) {
    sizes.push_back(be32(bytes, 4 + 4 * size_t(i)));
    count *= sizes.back();
  }
  if (bytes.size() - header != size_t(count))
    throw std::runtime_error(path + ": expected " + std::to_string(count) +
                             " bytes of data after the IDX header, got " + std::to_string(bytes.size() - header));
  return sizes;
}

torch::Tensor bytes_to_tensor(const std::string& bytes, size_t offset, std::vector<int64_t> shape) {
  auto t = torch::empty(shape, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), bytes.data() + offset, size_t(t.numel()));
  return t;
}

}  // namespace

torch::Tensor read_idx_images(const std::string& path) {
  const std::string bytes = read_maybe_gzipped(path);
  const auto s = parse_header(path, bytes, 0x00000803, 3);
  return bytes_to_tensor(bytes, 16, {s[0], 1, s[1], s[2]});
}

torch::Tensor read_idx_labels(const std::string& path) {
  const std::string bytes = read_maybe_gzipped(path);
  const auto s = parse_header(path, bytes, 0x00000801, 1);
  return bytes_to_tensor(bytes, 8, {s[0]}).to(torch::kInt64);
}

std::string find_data_file(const std::string& dir, const std::string& stem) {
  const std::string plain = dir + "/" + stem, gz = plain + ".gz";
  if (std::filesystem::exists(gz)) return gz;
  if (std::filesystem::exists(plain)) return plain;
  throw std::runtime_error(gz + ": no such file (nor " + plain + "); expected the dataset's IDX files in " + dir);
}

namespace {
ImageSplit read_idx_split(const std::string& dir, const std::string& prefix) {
  auto x = read_idx_images(find_data_file(dir, prefix + "-images-idx3-ubyte"));
  auto y = read_idx_labels(find_data_file(dir, prefix + "-labels-idx1-ubyte"));
  if (x.size(0) != y.size(0))
    throw std::runtime_error(dir + "/" + prefix + "-*: " + std::to_string(x.size(0)) + " images but " +
                             std::to_string(y.size(0)) + " labels");
  return {x, y};
}
}  // namespace

DatasetSplits load_idx(const DatasetInfo&, const TaskConfig& task, int64_t) {
  return {read_idx_split(task.data_dir, "train"), read_idx_split(task.data_dir, "t10k")};
}

}  // namespace ms
