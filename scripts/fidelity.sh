#!/usr/bin/env bash
# `make fidelity`: the fidelity suite (outside CI). Runs the sweeps under sweeps/fidelity/ with the
# real binary under mpirun, runs the independent PyTorch oracle (bench/kv_oracle.py) on the same
# configs as the Key-Value Transformer table, and prints the comparison tables that
# docs/fidelity.md records (ours mean ± std over seeds, the oracle's, the paper's claim, Kendall
# tau against the paper's ordering). Re-running resumes: finished jobs and oracle runs are kept.
#   scripts/fidelity.sh [BUILD] ; FIDELITY_SWEEPS="kv_synthetic gmlp_sequence" to run a subset
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/metasweep
OUT=${FIDELITY_OUT:-fidelity-out}
DB=$OUT/fidelity.db
SWEEPS=${FIDELITY_SWEEPS:-"kv_synthetic gmlp_sequence poolformer_table5_fmnist"}
mkdir -p "$OUT/oracle"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
workers=$(nproc)

for s in $SWEEPS; do
  echo "== $(date -u +%H:%M:%S) run sweeps/fidelity/$s.yaml"
  start=$(date +%s)
  mpirun --oversubscribe --bind-to none -np $((workers + 1)) "$BIN" run "sweeps/fidelity/$s.yaml" --db "$DB" --device cpu
  echo "== $s: $(( $(date +%s) - start )) s"
done

if [[ " $SWEEPS " == *" kv_synthetic "* ]]; then
  echo "== $(date -u +%H:%M:%S) oracle: bench/kv_oracle.py on the kv_synthetic configs ($workers at a time, 1 thread each)"
  start=$(date +%s)
  for task in copy sub reverse sort swap; do
    for mixer in qkv kv kvpos; do
      for seed in 0 1 2 3 4 5 6 7 8 9; do  # the oracle is cheap: 10 seeds pin its mean down
        f="$OUT/oracle/$task-$mixer-$seed.txt"
        [[ -s "$f" ]] && grep -q '^final' "$f" && continue
        echo "$task $mixer $seed"
      done
    done
  done | xargs -r -P "$workers" -n 3 sh -c \
    '/usr/bin/python3 bench/kv_oracle.py --task "$0" --mixer "$1" --seed "$2" --epochs 3 --train 10000 --test 2000 --threads 1 > "'"$OUT"'/oracle/$0-$1-$2.txt"'
  echo "== oracle: $(( $(date +%s) - start )) s"
fi

/usr/bin/python3 bench/fidelity_report.py --bin "$BIN" --db "$DB" --oracle "$OUT/oracle" --sweeps "$SWEEPS"
