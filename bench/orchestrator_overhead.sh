#!/usr/bin/env bash
# What the orchestrator costs per job: N one-step jobs (a 2-stage MetaFormer on 16 synthetic
# 8x8 images, one epoch of one step) through `mpirun -np K metasweep run`. Prints jobs/s, the
# mean training time per job as the workers measured it, the per-job overhead, and rank 0's
# CPU time against its wall time.
#   usage: bench/orchestrator_overhead.sh [JOBS=200] [RANKS=3] [BUILD=build]
set -euo pipefail
JOBS=${1:-200}
RANKS=${2:-3}
BIN=${3:-build}/metasweep
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
WORK=$(mktemp -d /tmp/metasweep-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
seeds=$(python3 -c "print(','.join(str(i) for i in range($JOBS)))")
cat > "$WORK/sweep.yaml" <<YAML
name: overhead
base:
  task: {dataset: synthetic-images, image_size: 8, channels: 1, num_classes: 4, train_size: 16,
         test_size: 16, epochs: 1, batch_size: 16}
  model: {depths: [1, 1], dims: [4, 8], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [$seeds]
YAML
start=$(date +%s.%N)
mpirun --oversubscribe --bind-to none -np "$RANKS" "$BIN" run "$WORK/sweep.yaml" --db "$WORK/b.db" --device cpu \
  --checkpoint-dir "$WORK/ckpt" > "$WORK/out" 2> "$WORK/err"
end=$(date +%s.%N)
grep "coordinator (rank 0)" "$WORK/err"
python3 - "$WORK/b.db" "$start" "$end" "$JOBS" "$RANKS" <<'PY'
import sqlite3, sys
db, start, end, jobs, ranks = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
con = sqlite3.connect(db)
done = con.execute("select count(*) from jobs where status='done'").fetchone()[0]
train = con.execute("select sum(wall_s) from epochs").fetchone()[0]
wall = end - start
groups = ranks - 1
print(f"jobs done: {done}/{jobs} with {groups} worker group(s) in {wall:.1f} s wall (mpirun start-up included)")
print(f"throughput: {done / wall:.1f} jobs/s")
print(f"training (epoch wall time summed over jobs): {train:.2f} s = {1000 * train / done:.1f} ms/job")
print(f"orchestration overhead per job (wall x groups - training) / jobs: {1000 * (wall * groups - train) / done:.1f} ms")
PY
