#!/usr/bin/env bash
# Every GPU check of this project in one call on a GPU machine (one device lease is short and
# each machine start costs minutes): build against the machine's PyTorch LibTorch, the `gpu`
# test suite, a short real sweep with two jobs sharing the GPU, then issue 7's benchmark. Each
# step has its own time limit and the script goes on after a failing step, so one call yields
# every result it can.
#
#   here (network):  scripts/gpu-build.sh fetch          # .gpu-debs/, ~25 MB, carried along
#   there:           OUT=/some/dir scripts/gpu-session.sh
#   with the device tool:  run(command="bash scripts/gpu-session.sh", carry=[".gpu-debs"], timeout_s=600)
#
# Writes into OUT (default gpu-session-out/): build.log, gpu-tests.log, train.log, bench.log
# and summary.txt (one line per step: status and seconds; the benchmark table at the end).
# Time: the whole script ends within DEADLINE_S [570] seconds (one device call may run 600);
# build, tests and train are capped at BUILD_S [270], TESTS_S [90], TRAIN_S [90] seconds and
# the benchmark gets what is left. SKIP="build tests train bench" (any of them) leaves steps
# out: on a still-warm machine the build folder is kept, so a second call can run
# SKIP="build tests train" with the whole deadline for the benchmark. The benchmark's own
# settings (MODELS, REPEATS, EPOCHS, ...: bench/gpu_vs_pytorch.sh) pass through the environment.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-session-out}
mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
BUILD_DIR=${BUILD_DIR:-build-gpu}
export BUILD_DIR
skip() { [[ " ${SKIP:-} " == *" $1 "* ]]; }

DEADLINE_S=${DEADLINE_S:-570}
# step NAME SECONDS LOG COMMAND...: runs COMMAND under min(SECONDS, time left), logging, and
# records it.
step() {
  local name=$1 limit=$2 log=$3
  shift 3
  if skip "$name"; then
    echo "$name: skipped" | tee -a "$SUMMARY"
    return 0
  fi
  local left=$((DEADLINE_S - SECONDS - 15))
  ((limit > left)) && limit=$left
  if ((limit < 20)); then
    echo "$name: not run (no time left)" | tee -a "$SUMMARY"
    return 1
  fi
  local start=$SECONDS rc
  echo "== $name (limit $limit s)"
  timeout --kill-after=10 "$limit" "$@" > "$log" 2>&1
  rc=$?
  local status=ok
  ((rc == 124 || rc == 137)) && status="timed out"
  ((rc != 0 && rc != 124 && rc != 137)) && status="failed (exit $rc)"
  echo "$name: $status in $((SECONDS - start)) s (log: $(basename "$log"))" | tee -a "$SUMMARY"
  ((rc == 0)) || tail -n 25 "$log"
  return "$rc"
}

{
  echo "# $(date -u +%FT%TZ) $(hostname)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "devices", torch.cuda.device_count())' 2>&1
} | tee -a "$SUMMARY"

step build "${BUILD_S:-270}" "$OUT/build.log" scripts/gpu-build.sh build
if [[ -x $BUILD_DIR/metasweep ]]; then (
  # The private prefix's libraries only for metasweep's own steps: the benchmark's Python side
  # keeps the machine's environment (gpu_vs_pytorch.sh applies the prefix to metasweep itself).
  eval "$(scripts/gpu-build.sh env)"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  # Both suites run even when the first fails.
  step tests "${TESTS_S:-90}" "$OUT/gpu-tests.log" bash -c "cd '$BUILD_DIR'
    ctest -L gpu --output-on-failure; gpu=\$?
    ctest -R 'Trainer|FlatParameters|mpi_train' --output-on-failure; cpu=\$?
    exit \$((gpu | cpu))"
  # A real sweep through the orchestrator (sweeps/gpu_smoke.yaml: 6 short bf16 jobs): rank 0
  # coordinates, ranks 1 and 2 train one job each on the one GPU; results in a SQLite file.
  # The database and its checkpoints stay outside OUT (few files may come back); a copy of
  # the database is kept.
  db=$(mktemp -d /tmp/metasweep-gpu-session-XXXXXX)/session.db
  step train "${TRAIN_S:-90}" "$OUT/train.log" bash -c "
    mpirun --oversubscribe --bind-to none -np 3 '$BUILD_DIR/metasweep' run sweeps/gpu_smoke.yaml \
      --db '$db' --device cuda --verbose &&
    '$BUILD_DIR/metasweep' results --db '$db' --sweep gpu-smoke --group-by section,variant"
  [[ -f $db ]] && cp "$db" "$OUT/session.db"
) else
  echo "no $BUILD_DIR/metasweep: tests and train skipped" | tee -a "$SUMMARY"
fi
step bench "$DEADLINE_S" "$OUT/bench.log" env LOGS="$OUT/bench-runs" bench/gpu_vs_pytorch.sh "$BUILD_DIR"
sed -n '/^peak:/,$p' "$OUT/bench.log" >> "$SUMMARY" 2>/dev/null
rm -rf "$OUT/bench-runs"  # per-run logs: too many files to come back; bench.log has the table
echo "summary: $SUMMARY"
