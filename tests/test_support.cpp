// Implementation of the shared test helpers.
#include "tests/test_support.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sys/wait.h>

namespace ms::test {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string one_line_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "no error";
  return "";
}

CommandResult run_command(const std::string& command_line) {
  TempDir tmp;
  const std::string out = tmp.file("out"), err = tmp.file("err");
  const std::string full = "(" + command_line + ") >" + out + " 2>" + err;
  const int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

std::string metasweep_bin() {
  const char* bin = std::getenv("METASWEEP_BIN");
  return bin ? bin : "build/metasweep";
}

std::string source_dir() {
  const char* dir = std::getenv("METASWEEP_SOURCE_DIR");
#ifdef METASWEEP_SOURCE_DIR
  return dir ? dir : METASWEEP_SOURCE_DIR;
#else
  return dir ? dir : ".";
#endif
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "metasweep-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
  const std::string p = file(name);
  std::ofstream(p) << text;
  return p;
}

CommandResult run_metasweep(const std::string& args) {
  return run_command(shell_quote(metasweep_bin()) + " " + args + " </dev/null");
}

}  // namespace ms::test
