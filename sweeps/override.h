// A dotted-key assignment from a sweep file, with where it was written so that later
// validation errors can point at the line that caused them.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ms {

struct Mark {
  int line = 1;  // 1-based
  int col = 1;
};

struct Override {
  std::string key;       // dotted, a key of config_schema()
  nlohmann::json value;  // already type-checked against the schema
  Mark mark;             // where the value was written
};

using Overrides = std::vector<Override>;

}  // namespace ms
