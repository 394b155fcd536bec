#!/usr/bin/env bash
# What the hang watchdog (--hang-timeout, worker/dist/collective_watchdog.h) costs a
# data-parallel job: one 2-rank job (`mpirun -np 3 run --ranks-per-job 2`, Fashion-MNIST subset,
# batch 32, so a step is short and its collectives count) trained with the watchdog off (0) and
# on (the default), in interleaved pairs. Prints each run's wall time and mean samples/s.
#   usage: bench/hang_watchdog_overhead.sh [ROUNDS=3] [BUILD=build]
set -euo pipefail
ROUNDS=${1:-3}
BIN=$(realpath "${2:-build}/metasweep")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader,tcp
export OMPI_MCA_btl_vader_single_copy_mechanism=none
WORK=$(mktemp -d /tmp/metasweep-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cat > "$WORK/sweep.yaml" <<YAML
name: watchdog
base:
  task: {dataset: fashion-mnist, train_subset: 4096, test_subset: 512, epochs: 3, batch_size: 32}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0]
YAML
for round in $(seq 1 "$ROUNDS"); do
  for timeout in 0 600; do
    db=$WORK/r$round-t$timeout.db
    start=$(date +%s.%N)
    mpirun --oversubscribe --bind-to none -np 3 "$BIN" run "$WORK/sweep.yaml" --db "$db" --device cpu \
      --ranks-per-job 2 --hang-timeout "$timeout" --checkpoint-dir "$WORK/ckpt-$round-$timeout" > /dev/null 2> "$WORK/err"
    end=$(date +%s.%N)
    sps=$(sqlite3 "$db" "select printf('%.0f', avg(samples_per_s)) from epochs")
    printf 'round %d  --hang-timeout %-3s  %.2f s  %s samples/s\n' "$round" "$timeout" "$(echo "$end - $start" | bc)" "$sps"
  done
done
