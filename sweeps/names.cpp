// Name rules (see names.h).
#include "sweeps/names.h"

#include <cctype>

namespace ms {

std::string trim_spaces(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::optional<std::string> name_problem(const std::string& name, const std::string& what, bool allow_baseline) {
  if (auto problem = text_problem(name, what)) return problem;
  const std::string trimmed = trim_spaces(name);
  if (trimmed.empty()) return what + " is empty";
  if (!allow_baseline && trimmed == "baseline")
    return what + " '" + name + "' is reserved: 'baseline' names the base configuration";
  return std::nullopt;
}

}  // namespace ms
