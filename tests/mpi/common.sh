# Shared helpers for the MPI integration tests (sourced, not run by CTest: no test name).
set -euo pipefail
BIN=${METASWEEP_BIN:?set by CTest}
SRC=${METASWEEP_SOURCE_DIR:?set by CTest}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# Quiet Open MPI's component warnings on containers without a high-speed network.
export OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_vader_single_copy_mechanism=none
WORK=$(mktemp -d /tmp/metasweep-mpi-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
MPIRUN="mpirun --oversubscribe --bind-to none"
fail() { echo "FAIL: $*" >&2; exit 1; }
json_field() {  # json_field FILE PYTHON-EXPR (over `rows`)
  python3 -c "import json,sys; rows=json.load(open('$1')); print($2)"
}
# rank_pid PATTERN RANK: the pid of a process whose command line matches PATTERN (pgrep -f) and
# whose Open MPI world rank is RANK (from /proc/PID/environ); fails when there is none.
rank_pid() {
  local p
  for p in $(pgrep -f "$1" || true); do
    if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
      echo "$p"
      return 0
    fi
  done
  return 1
}
