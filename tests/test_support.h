// Helpers shared by the test suites: temp dirs, running the real binary, reading files.
#pragma once
#include <functional>
#include <string>

namespace ms::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a shell command line, capturing stdout and stderr separately.
CommandResult run_command(const std::string& command_line);

// A POSIX-shell single-quoted word: any path or argument passes through the shell unchanged.
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Path of build/metasweep (from $METASWEEP_BIN, set by CTest).
std::string metasweep_bin();
// The built binary with `args` (already shell-quoted where needed), stdin from /dev/null.
CommandResult run_metasweep(const std::string& args);
// The repository root (for sweeps/*.yaml and tests/data).
std::string source_dir();

// A fresh directory under /tmp, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& text) const;  // returns its path

 private:
  std::string path_;
};

// The file's bytes ("" when it cannot be read).
std::string read_file(const std::string& path);

// Runs `f` and returns the message of the std::runtime_error it throws; fails the current test
// when it throws nothing or the message is not one line.
std::string one_line_error(const std::function<void()>& f);

// SQL that takes a results database back to before schema v9 (the attempts' device), v8 (also the
// device columns and the views that show them), and to before v6 (also v7's attempt history and
// the skipped-image columns); the tests that emulate older files run it before their own steps.
#define MS_UNDO_SCHEMA_V9 "ALTER TABLE job_attempts DROP COLUMN device; "
#define MS_UNDO_SCHEMA_V8                                                                               \
  MS_UNDO_SCHEMA_V9                                                                                     \
  "DROP VIEW IF EXISTS job_results; DROP VIEW IF EXISTS epoch_results; ALTER TABLE epochs DROP COLUMN " \
  "device; ALTER TABLE jobs DROP COLUMN device; ALTER TABLE jobs DROP COLUMN reset_at; "
inline const char* kUndoSchemaV9 = MS_UNDO_SCHEMA_V9;
inline const char* kUndoSchemaV8 = MS_UNDO_SCHEMA_V8;
inline const char* kUndoSchemaV6 = MS_UNDO_SCHEMA_V8
    "DROP TABLE IF EXISTS job_attempts; ALTER TABLE epochs DROP COLUMN skipped_train; ALTER TABLE epochs DROP "
    "COLUMN skipped_test; ALTER TABLE jobs DROP COLUMN skipped_train; ALTER TABLE jobs DROP COLUMN skipped_test; ";
#undef MS_UNDO_SCHEMA_V8
#undef MS_UNDO_SCHEMA_V9

}  // namespace ms::test
