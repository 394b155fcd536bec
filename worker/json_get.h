// Reading an optional value from a resolved config object: the value, or `fallback` when the
// key is missing or null. Shared by the datasets, the trainer and the optimizer factory.
#pragma once
#include <nlohmann/json.hpp>

namespace ms {

template <typename T>
T get_or(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? fallback : it->get<T>();
}

}  // namespace ms
