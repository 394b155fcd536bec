// Shared Boost.Program_options plumbing for the subcommands: parse, turn every parsing
// problem into ms::UsageError (exit 2), and answer --help with the usage text.
#pragma once
#include <string>

#include <boost/program_options.hpp>

#include "cli/subcommands.h"

namespace ms::cli {

namespace po = boost::program_options;

// Parses `args` against `options` (plus --help) and `positional`. Returns false when --help
// was printed (the caller returns 0). Every argument is user text (sweeps/user_text.h): invalid
// UTF-8 or a control character anywhere is refused (ms::UsageError) before anything is parsed,
// and the value of every text option must be one line -- except the options named in
// `free_text` (a note), which may hold line breaks and tabs.
bool parse_options(const Args& args, const std::string& usage, po::options_description& options,
                   const po::positional_options_description& positional, po::variables_map& vm,
                   const std::vector<std::string>& free_text = {});

// Checks that an enumerated flag has one of the accepted values.
void check_choice(const std::string& flag, const std::string& value, const std::vector<std::string>& choices);

// Checks that `path` can be a folder metasweep creates or writes into: it is one, or the first of
// its ancestors that exists is one (a regular file there is refused with ms::UsageError).
void check_folder_path(const std::string& flag, const std::string& path);

// --hang-timeout (run, train): its help, and its check (a finite number of seconds >= 0).
extern const char* const kHangTimeoutHelp;
void check_hang_timeout(double seconds);

// --threads (run, train): its help, and its check (0 = cores / ranks on the node; at most 4 per
// hardware thread, beyond which LibTorch only slows down).
extern const char* const kThreadsHelp;
void check_threads(int threads);

// The checkpoint folder of database `db` when --checkpoint-dir is not given: the database file's
// own path (symlinks resolved) + ".checkpoints", so a run through a symlink to the database finds
// the checkpoints of a run through its real path. A folder that an older version made beside the
// path as typed (a symlink) is still used when the resolved one does not exist.
std::string default_checkpoint_dir(const std::string& db);

// Asks before a destructive change: true with --yes; otherwise asks `question [y/N]` on stderr
// and reads the answer from a terminal; without a terminal (a script) it throws ms::UsageError
// asking for --yes, so nothing is ever removed by accident.
bool confirm(const std::string& question, bool yes);

}  // namespace ms::cli
