// What `metasweep run` prints when a sweep ends: the outcome counts and this run's wall time, the
// jobs that stay failed from earlier runs (their attempts used up) and how to run them again,
// the best variants by their mean test accuracy over done seeds (jobs of earlier runs included),
// and the commands to look further (results, report), quoted for a POSIX shell (shell_word,
// sweeps/user_text.h).
#pragma once
#include <string>

#include "orchestrator/coordinator.h"
#include "results/store/store.h"

namespace ms {

std::string format_run_summary(const RunSummary& summary, const ResultStore& store, const std::string& sweep,
                               const std::string& db_path, int top = 3);

}  // namespace ms
