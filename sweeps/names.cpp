// Name rules (see names.h).
#include "sweeps/names.h"

#include <cctype>

#include "sweeps/unicode_nfd.h"

namespace ms {

std::string name_key(const std::string& name) { return nfd(trim_spaces(name)); }

std::string spelling_note(const std::string& first, const std::string& second) {
  if (trim_spaces(first) == trim_spaces(second)) return "";
  return " -- the two look the same and differ only in how their accented letters are encoded (precomposed "
         "characters or combining marks, Unicode canonical equivalence): write both the same way";
}

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
