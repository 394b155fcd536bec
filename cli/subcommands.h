// The subcommands of the metasweep binary: each lives in its own cli/cmd_<name>.cpp, parses
// its flags with Boost.Program_options, calls into the libraries and prints. They throw
// ms::UsageError for bad input (exit 2) and anything else for runtime failures (exit 1).
#pragma once
#include <string>
#include <vector>

namespace ms {
class MpiEnvironment;

namespace cli {

using Args = std::vector<std::string>;  // the arguments after the subcommand name

int cmd_plan(const Args& args);
int cmd_run(const Args& args, MpiEnvironment& mpi);
int cmd_train(const Args& args, MpiEnvironment& mpi);
int cmd_status(const Args& args);
int cmd_results(const Args& args);
int cmd_report(const Args& args);
int cmd_compare(const Args& args);
int cmd_forget(const Args& args);
int cmd_note(const Args& args);
int cmd_stop(const Args& args);

}  // namespace cli
}  // namespace ms
