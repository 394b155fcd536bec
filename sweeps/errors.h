// Error types shared by every metasweep library. UsageError (and SpecError, which carries a
// file:line:column position) means bad input from the user: exit status 2. Anything else that
// escapes to main is a runtime failure: exit status 1.
#pragma once
#include <stdexcept>
#include <string>

namespace ms {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A mistake in a sweep file; what() is "FILE:LINE:COL: error: MESSAGE" (line/col 1-based).
struct SpecError : UsageError {
  SpecError(const std::string& file, int line, int col, const std::string& message)
      : UsageError(file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": error: " + message),
        file_(file), line_(line), col_(col) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int col() const { return col_; }

 private:
  std::string file_;
  int line_;
  int col_;
};

}  // namespace ms
