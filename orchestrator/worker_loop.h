// The worker side of `metasweep run`: a group's ranks wait for jobs from the coordinator,
// train each one together (data-parallel over the group communicator) and report epochs and
// outcomes. The one place in the worker where a job's exceptions are caught and recorded.
#pragma once
#include <mpi.h>
#include <string>

#include "orchestrator/training_rank.h"
#include "orchestrator/transport.h"

namespace ms {

// link: the leader's link to the coordinator (nullptr on non-leader ranks of a group).
// group: the group communicator (MPI_COMM_NULL for the in-process single worker).
void run_worker(WorkerLink* link, MPI_Comm group, const WorkerSettings& settings);

}  // namespace ms
