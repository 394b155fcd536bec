// Parsing timm's RandAugment configuration strings (see rand_augment_spec.h).
#include "sweeps/rand_augment_spec.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <stdexcept>

namespace ms {

namespace {

const char* const kAccepted = "accepted parts: m<magnitude> n<ops> mstd<std> mmax<max> inc<0|1> p<probability>";

[[noreturn]] void refuse(const std::string& text, const std::string& why) {
  throw std::invalid_argument("rand_augment '" + text + "': " + why + " (e.g. rand-m9-mstd0.5-inc1; " + kAccepted +
                              ")");
}

}  // namespace

std::optional<RandAugmentSpec> parse_rand_augment(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (text != "rand" && text.rfind("rand-", 0) != 0) refuse(text, "must start with 'rand'");
  RandAugmentSpec s;
  std::set<std::string> seen;
  size_t start = 4;
  while (start < text.size()) {
    ++start;  // the '-'
    const size_t end = std::min(text.find('-', start), text.size());
    const std::string part = text.substr(start, end - start);
    start = end;
    size_t k = 0;
    while (k < part.size() && std::isalpha(static_cast<unsigned char>(part[k]))) ++k;
    const std::string key = part.substr(0, k), value = part.substr(k);
    if (key.empty() || value.empty()) refuse(text, "cannot read part '" + part + "'");
    if (!seen.insert(key).second) refuse(text, "part '" + key + "' is given twice");
    char* stop = nullptr;
    const double v = std::strtod(value.c_str(), &stop);
    if (stop != value.c_str() + value.size() || !std::isfinite(v) || v < 0)
      refuse(text, "part '" + part + "' needs a non-negative number after '" + key + "'");
    if (key == "m") {
      s.magnitude = v;
    } else if (key == "n") {
      if (v != std::floor(v) || v < 1 || v > 16) refuse(text, "n (operations per image) must be a whole 1..16");
      s.num_ops = static_cast<int>(v);
    } else if (key == "mstd") {
      s.magnitude_std = v > 100 ? std::numeric_limits<double>::infinity() : v;  // timm: > 100 means uniform
    } else if (key == "mmax") {
      if (v <= 0) refuse(text, "mmax must be above 0");
      s.magnitude_max = v;
    } else if (key == "inc") {
      if (v != 0 && v != 1) refuse(text, "inc must be 0 or 1");
      s.increasing = v == 1;
    } else if (key == "p") {
      if (v > 1) refuse(text, "p (probability of each operation) must be in [0, 1]");
      s.probability = v;
    } else {
      refuse(text, "unknown part '" + part + "'");
    }
  }
  if (s.magnitude > s.magnitude_max) refuse(text, "m is above mmax");
  return s;
}

}  // namespace ms
