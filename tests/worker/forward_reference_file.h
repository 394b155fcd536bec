// The files forward_reference_test.cpp and forward_reference.py exchange: b"MSFWDREF", a
// little-endian uint64 header length, a JSON header {"config", "tensors": [{"name", "dtype",
// "shape", "offset", "requires_grad"}]}, then the raw little-endian data. The test writes the
// model's tensors as float32 (int64 for indices); the reference answers in float64.
#pragma once
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tests/test_support.h"

namespace ms::test {

inline constexpr char kForwardReferenceMagic[] = "MSFWDREF";

// One tensor of a case: a parameter or buffer by its module path (frozen parameters say so), the
// input or the cotangent.
struct Named {
  std::string name;
  torch::Tensor tensor;
  bool requires_grad = false;
};

// Writes a case: the resolved config and the tensors, floating ones as float32.
inline void write_case_file(const std::string& path, const nlohmann::json& config, const std::vector<Named>& tensors) {
  nlohmann::json header = {{"config", config}, {"tensors", nlohmann::json::array()}};
  std::string data;
  for (const auto& t : tensors) {
    torch::Tensor c = t.tensor.detach().cpu().contiguous();
    std::string dtype = "float32";
    if (c.scalar_type() == torch::kLong)
      dtype = "int64";
    else
      c = c.to(torch::kFloat);
    header["tensors"].push_back({{"name", t.name},
                                 {"dtype", dtype},
                                 {"shape", c.sizes().vec()},
                                 {"offset", data.size()},
                                 {"requires_grad", t.requires_grad}});
    data.append(static_cast<const char*>(c.data_ptr()), c.nbytes());
  }
  const std::string text = header.dump();
  std::string length(8, '\0');
  for (int i = 0; i < 8; ++i) length[i] = static_cast<char>((static_cast<uint64_t>(text.size()) >> (8 * i)) & 0xff);
  std::ofstream out(path, std::ios::binary);
  out << std::string(kForwardReferenceMagic, 8) << length << text << data;
  if (!out) throw std::runtime_error("cannot write " + path);
}

// Reads the reference's answer: name -> float64 tensor.
inline std::map<std::string, torch::Tensor> read_result_file(const std::string& path) {
  const std::string blob = read_file(path);
  if (blob.size() < 16 || blob.compare(0, 8, kForwardReferenceMagic) != 0)
    throw std::runtime_error(path + ": no reference result");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<unsigned char>(blob[8 + i])) << (8 * i);
  const auto header = nlohmann::json::parse(blob.substr(16, length));
  const size_t data = 16 + length;
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& t : header.at("tensors")) {
    const auto shape = t.at("shape").get<std::vector<int64_t>>();
    if (t.at("dtype") != "float64") throw std::runtime_error(path + ": results are float64");
    torch::Tensor tensor = torch::empty(shape, torch::kDouble);
    const size_t offset = data + t.at("offset").get<size_t>();
    if (offset + tensor.nbytes() > blob.size()) throw std::runtime_error(path + ": truncated");
    std::memcpy(tensor.data_ptr(), blob.data() + offset, tensor.nbytes());
    tensors[t.at("name").get<std::string>()] = tensor;
  }
  return tensors;
}

}  // namespace ms::test
