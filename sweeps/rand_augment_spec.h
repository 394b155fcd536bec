// timm's RandAugment configuration string ("rand-m9-mstd0.5-inc1", the DeiT/PoolFormer recipe) as
// numbers: what task.augment.rand_augment accepts. Parsed where the sweep is validated (a bad
// string is a sweep error naming the part it could not read) and again by the worker's image
// pipeline, which applies images/rand_augment.h with these numbers.
#pragma once
#include <optional>
#include <string>

namespace ms {

struct RandAugmentSpec {
  int num_ops = 2;            // n: operations per image, chosen with replacement
  double magnitude = 10;      // m: 0..magnitude_max (timm's default is its maximum, 10)
  double magnitude_std = 0;   // mstd: per-application gauss(m, mstd); +inf (mstd > 100): uniform in [0, m]
  double magnitude_max = 10;  // mmax: magnitudes are clipped to [0, mmax]
  double probability = 0.5;   // p: each chosen operation is applied with this probability
  bool increasing = false;    // inc1: timm's "increasing" operation set (stronger as m grows)
};

// Parses "rand" followed by "-KEYvalue" parts (m, n, mstd, mmax, inc, p; any order, each at most
// once). Unlike timm, "inc0" means not increasing. Throws std::invalid_argument with a message
// naming the offending part and the accepted keys. Empty text is not a spec (returns nullopt).
std::optional<RandAugmentSpec> parse_rand_augment(const std::string& text);

}  // namespace ms
