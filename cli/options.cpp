// Option parsing shared by the subcommands (see options.h).
#include "cli/options.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "sweeps/config_schema.h"
#include "sweeps/errors.h"
#include "sweeps/user_text.h"

namespace ms::cli {

namespace {

void check_option_text(const std::string& name, const std::string& value) {
  if (auto problem = text_problem(value, "--" + name)) throw UsageError(*problem);
}

}  // namespace

bool parse_options(const Args& args, const std::string& usage, po::options_description& options,
                   const po::positional_options_description& positional, po::variables_map& vm,
                   const std::vector<std::string>& free_text) {
  // First every argument, so that no parser message ever echoes a bad byte.
  bool after_separator = false;  // everything after a bare "--" is an unnamed argument
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--" && !after_separator) {
      after_separator = true;
      continue;
    }
    // Named by its flag where it has one: "--where 'x\xFF' is not valid UTF-8".
    std::string what = "argument";
    if (after_separator)
      ;
    else if (args[i].rfind("--", 0) == 0 && args[i].find('=') != std::string::npos)
      what = args[i].substr(0, args[i].find('='));
    else if (i > 0 && args[i - 1].rfind("--", 0) == 0 && args[i - 1].find('=') == std::string::npos)
      what = args[i - 1];
    if (first_bad_text_byte(what, TextKind::Line)) what = "argument";
    // A flag's value is one line unless the command takes free text there (a note); an unnamed
    // argument may be either, so only what no text may hold is refused here.
    const bool line =
        what.rfind("--", 0) == 0 && std::find(free_text.begin(), free_text.end(), what.substr(2)) == free_text.end();
    if (auto problem = text_problem(args[i], what, line ? TextKind::Line : TextKind::FreeText))
      throw UsageError(*problem);
  }
  options.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    for (const auto& [name, value] : vm) {
      if (std::find(free_text.begin(), free_text.end(), name) != free_text.end()) continue;
      if (const auto* text = boost::any_cast<std::string>(&value.value())) check_option_text(name, *text);
      if (const auto* texts = boost::any_cast<std::vector<std::string>>(&value.value()))
        for (const std::string& text : *texts) check_option_text(name, text);
    }
    if (vm.count("help")) {
      std::cout << usage << "\n\n" << options << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::required_option& e) {
    // A positional argument is an option to Boost ("--sweep"); the user never typed that name.
    const std::string usage_line = usage.substr(0, usage.find('\n'));
    for (unsigned i = 0; i < positional.max_total_count() && i < 8; ++i)
      if (e.get_option_name() == "--" + positional.name_for_position(i))
        throw UsageError("missing argument: " + usage_line + " (see --help)");
    throw UsageError(std::string(e.what()) + " (see --help)");
  } catch (const po::too_many_positional_options_error&) {
    throw UsageError("too many arguments: " + usage.substr(0, usage.find('\n')) +
                     " (quote a text with spaces; a text starting with '-' goes after --)");
  } catch (const po::unknown_option& e) {
    throw UsageError(std::string(e.what()) + " (see --help; a text starting with '-' goes after --)");
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + " (see --help)");
  }
  return true;
}

void check_choice(const std::string& flag, const std::string& value, const std::vector<std::string>& choices) {
  if (std::find(choices.begin(), choices.end(), value) == choices.end())
    throw UsageError("--" + flag + " '" + value + "': expected one of " + join(choices, ", "));
}

const char* const kHangTimeoutHelp =
    "end the run when a rank has waited this long for a partner rank of its job (--ranks-per-job > 1) or "
    "for its GPU to finish a step: one that hangs without an error (0 = wait for ever); the same command "
    "resumes the run";

void check_hang_timeout(double seconds) {
  if (!(seconds >= 0) || !std::isfinite(seconds))
    throw UsageError("--hang-timeout must be a finite number of seconds >= 0 (0: no limit)");
}

const char* const kThreadsHelp =
    "LibTorch intra-op threads per training rank (0: cores / training ranks on the node, within the CPU "
    "affinity; on a busy or small machine 1 is often fastest for small models)";

void check_threads(int threads) {
  // More threads than the machine has cores only slows LibTorch down (an audit's --threads
  // 100000 spawned 5,290 threads in 72 s and trained nothing): at most 4 per hardware thread.
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (threads < 0 || threads > 4 * hardware)
    throw UsageError("--threads must be between 0 and " + std::to_string(4 * hardware) + " (4 x this machine's " +
                     std::to_string(hardware) + " hardware threads); 0: cores / ranks on the node");
}

void check_folder_path(const std::string& flag, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::path p = fs::absolute(fs::path(path), ec); !ec && !p.empty(); p = p.parent_path()) {
    const fs::file_status st = fs::status(p, ec);
    if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
      break;  // unreadable: let the write say why
    ec.clear();
    if (!fs::exists(st)) {
      if (p == p.parent_path()) break;
      continue;
    }
    if (fs::is_directory(st)) return;
    throw UsageError("--" + flag + " " + path + ": " +
                     (p == fs::absolute(fs::path(path)) ? std::string("exists and is not a folder")
                                                        : p.string() + " is not a folder"));
  }
}

std::string default_checkpoint_dir(const std::string& db) {
  namespace fs = std::filesystem;
  const std::string typed = db + ".checkpoints";
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(fs::path(db), ec);
  if (ec || real.empty()) return typed;
  const std::string resolved = real.string() + ".checkpoints";
  if (!fs::exists(resolved, ec) && fs::is_directory(typed, ec)) return typed;
  return resolved;
}

bool confirm(const std::string& question, bool yes) {
  if (yes) return true;
  if (!isatty(STDIN_FILENO)) throw UsageError(question + ": refused without --yes (standard input is not a terminal)");
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace ms::cli
