// WebDataset's shard-list notation (the braceexpand rules), shared by the validator (which checks
// a pattern's syntax when a sweep is planned) and the shard reader (which expands it).
#pragma once
#include <string>
#include <vector>

namespace ms {

// Each {A..B} (decimal, ascending or descending; zero-padded to the longer of A and B when
// either has a leading zero), {a..e} (one letter each, of one case, either way) or {x,y,z} group
// expands, left to right, into the cartesian product.
// A pattern without braces is itself. Throws std::invalid_argument for an unclosed or nested
// brace, a '}' without '{', or more than a million names.
std::vector<std::string> expand_braces(const std::string& pattern);

}  // namespace ms
