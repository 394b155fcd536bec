// The rules for user text that names things (DESIGN.md §4): sweep names, section names and
// variant labels are user text (user_text.h: well-formed UTF-8, no control characters), not
// empty and not "baseline" (reserved) after trimming.
#pragma once
#include <optional>
#include <string>

#include "sweeps/user_text.h"

namespace ms {

// Why `name` is not acceptable as a `what` ("sweep name", "section name", "label"), or nothing.
// Reserved "baseline" is refused when `allow_baseline` is false.
std::optional<std::string> name_problem(const std::string& name, const std::string& what, bool allow_baseline);

std::string trim_spaces(const std::string& s);  // ASCII whitespace at both ends

// The key under which two names are one name: trimmed, in Unicode's canonical decomposition
// (unicode_nfd.h), so "é" typed as U+00E9 and as "e" + U+0301 are the same label. Names are still
// stored and shown as typed.
std::string name_key(const std::string& name);
// For a message about two names with one key: "" when they are the same text (but for spaces at
// the ends), else why they count as one.
std::string spelling_note(const std::string& first, const std::string& second);

}  // namespace ms
