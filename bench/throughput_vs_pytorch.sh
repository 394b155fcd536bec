#!/usr/bin/env bash
# Training throughput of `metasweep train` against the PyTorch (Python) reference
# (bench/pytorch_reference.py) on the same model, data, batch, recipe and thread count, run side
# by side in one invocation, interleaved A B A B so that machine load hits both alike. Each run
# trains EPOCHS epochs of the 10k Fashion-MNIST subset; the first epoch is warmup and the
# samples/s of the later epochs (training only, evaluation excluded, as both report it) are
# collected. Prints each run, then per (model, threads) the medians and the ratio.
#   usage: bench/throughput_vs_pytorch.sh [REPEATS=3] [THREADS="2 1"] [MODELS="demo issue4"]
#          [BUILD=build] [EPOCHS=3]
# OpenMP spinning: metasweep's training commands run libgomp with GOMP_SPINCOUNT=10000 unless
# OMP_WAIT_POLICY or GOMP_SPINCOUNT is set (cli/main.cpp); the Python side inherits the caller's
# environment, where libgomp spins 300k iterations by default. SAME_OMP=1 exports
# GOMP_SPINCOUNT=10000 for both sides (framework against framework); SAME_OMP=0 (default) gives
# each side its own default (what a user gets).
# Needs python3-torch (scripts/install-deps.sh installs it); /usr/bin/python3 is used
# explicitly because a python3 earlier on PATH may lack torch.
set -euo pipefail
REPEATS=${1:-3}
THREADS=${2:-"2 1"}
MODELS=${3:-"demo issue4"}
BIN=${4:-build}/metasweep
EPOCHS=${5:-3}
PY=/usr/bin/python3
if [[ ${SAME_OMP:-0} == 1 && -z ${OMP_WAIT_POLICY:-} ]]; then export GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-10000}; fi
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/metasweep-tvp-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

dims_of() { case $1 in demo) echo "16,32,64,96" ;; issue4) echo "32,64,96,128" ;; *) echo "unknown model $1" >&2; exit 2 ;; esac; }

for m in $MODELS; do
  cat > "$WORK/$m.yaml" <<YAML
name: bench-$m
base:
  task:
    dataset: fashion-mnist
    train_subset: 10000
    test_subset: 2000
    epochs: $EPOCHS
    batch_size: 128
    optimizer: {name: adamw, lr: 2.0e-3, weight_decay: 0.05}
    schedule: {name: cosine, warmup_epochs: 0.5}
    label_smoothing: 0.1
  model:
    arch: metaformer
    depths: [1, 1, 2, 1]
    dims: [$(dims_of "$m")]
    mixers: pool
    pool_size: 3
    norm: group1
    activation: gelu
    layer_scale: 1.0e-5
    drop_path: 0.0
    stem: {kernel: 3, stride: 2, padding: 1}
seeds: [0]
YAML
  ms_params=$("$BIN" plan "$WORK/$m.yaml" --format json | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["params"])')
  py_params=$($PY "$HERE/pytorch_reference.py" --params-only --dims "$(dims_of "$m")" | sed 's/.*params \([0-9]*\).*/\1/')
  echo "# model $m: dims [$(dims_of "$m")], params metasweep $ms_params, pytorch $py_params"
  if [[ "$ms_params" != "$py_params" ]]; then echo "parameter counts differ" >&2; exit 1; fi
done

echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# OpenMP environment: OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset} GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-unset} (metasweep sets GOMP_SPINCOUNT=10000 when both are unset)"
: > "$WORK/results.tsv"
for rep in $(seq 1 "$REPEATS"); do
  for m in $MODELS; do
    for t in $THREADS; do
      export OMP_NUM_THREADS=$t
      "$BIN" train "$WORK/$m.yaml" --variant baseline --device cpu --threads "$t" > "$WORK/ms.out"
      $PY "$HERE/pytorch_reference.py" --threads "$t" --epochs "$EPOCHS" --dims "$(dims_of "$m")" > "$WORK/py.out"
      for side in ms py; do
        grep -o 'epoch [0-9]*/[0-9]*.* \([0-9.]*\) samples/s' "$WORK/$side.out" |
          sed 's|epoch \([0-9]*\)/.* \([0-9.]*\) samples/s|\1 \2|' | while read -r ep sps; do
            if [[ $ep -gt 1 ]]; then printf '%s\t%s\t%s\t%s\t%s\n' "$m" "$t" "$side" "$rep" "$sps" >> "$WORK/results.tsv"; fi
          done
      done
      echo "rep $rep  $m  threads $t  metasweep $(grep -h -o '[0-9.]* samples/s' "$WORK/ms.out" | tail -n +2 | tr '\n' ' ')" \
        " pytorch $(grep -h -o '[0-9.]* samples/s' "$WORK/py.out" | tail -n +2 | tr '\n' ' ')  load $(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done

$PY - "$WORK/results.tsv" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m, t, side, rep, sps = line.split("\t")
    runs[(m, int(t), side)].append(float(sps))
print(f"{'model':8} {'threads':>7} {'metasweep samples/s':>20} {'pytorch samples/s':>18} {'ratio':>6}  (median of n epochs)")
for (m, t) in sorted({(k[0], k[1]) for k in runs}, key=lambda k: (k[0], -k[1])):
    a, b = statistics.median(runs[(m, t, "ms")]), statistics.median(runs[(m, t, "py")])
    print(f"{m:8} {t:7d} {a:20.0f} {b:18.0f} {a / b:6.2f}  (n={len(runs[(m, t, 'ms')])})")
PY
