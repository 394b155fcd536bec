// What `metasweep status --job ID` shows for one job: the sweeps that hold it (section, variant),
// its seed, state and latest metrics, and its attempt history (results/store/store.h: Attempt):
// when each attempt started, how long it ran, where, on how many ranks, how it ended and why, and
// the rank time they cost together.
#pragma once
#include <string>

#include "results/store/store.h"

namespace ms {

// id_or_prefix as job_info (results/store/sweep_admin.h) takes it: an unknown id or an ambiguous
// prefix throws ms::UsageError. `now` prices the attempt of a live run that is still running.
std::string format_job_history(const ResultStore& store, const std::string& id_or_prefix, double now);

}  // namespace ms
