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
        file_(file),
        line_(line),
        col_(col),
        message_(message) {}
  const std::string& file() const { return file_; }
  const std::string& message() const { return message_; }  // without the position
  int line() const { return line_; }
  int col() const { return col_; }

 private:
  std::string file_;
  int line_;
  int col_;
  std::string message_;
};

// A failure that a retry may not meet again: memory short for a moment, a collective's link or
// peer failing. The coordinator retries such a job (run --max-retries); every other failure of
// a job is final. See worker/train/job_error.h for how LibTorch's own errors map to it.
struct TransientError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An exception's message as a user should see it: LibTorch's C++ backtrace ("Exception raised
// from ...", "frame #N: ...") cut off, trailing blank space removed. Never a stack trace.
inline std::string user_message(const std::string& what) {
  std::string text = what;
  for (const char* marker : {"\nException raised from ", "Exception raised from ", "\nframe #0", "frame #0:"}) {
    const size_t at = text.find(marker);
    if (at != std::string::npos) text.erase(at);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text.empty() ? what.substr(0, what.find('\n')) : text;
}

}  // namespace ms
