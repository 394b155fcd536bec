#!/usr/bin/env bash
# Issue 7's GPU benchmark in one command: training samples/s of `metasweep train` against the
# PyTorch reference (bench/pytorch_reference.py) run eager and with torch.compile, on the same
# model, batch, recipe, synthetic data (in device memory) and precision, for PoolFormer-S12 at
# 224×224×3 / 1000 classes and the demo model (sweeps/demo.yaml) at 28×28×1 / 10 classes, and
# the fraction of this device's measured matrix-product peak that each reaches.
#
#   usage: bench/gpu_vs_pytorch.sh [BUILD=build-gpu]
#   on the GPU machine: scripts/gpu-build.sh build && bench/gpu_vs_pytorch.sh
#   CPU dry run:        DEVICE=cpu S12_SIZE=64 S12_BATCH=8 S12_STEPS=3 DEMO_STEPS=6 EPOCHS=3 \
#                         bench/gpu_vs_pytorch.sh build-gbench
#
# What it does:
#  1. the peak: BUILD/bench/matmul_peak --device DEVICE --dtype PEAK_DTYPE --size PEAK_SIZE
#     (built here if missing: `cmake --build BUILD --target matmul_peak`; a few lines of Python
#     torch if that fails or PEAK_FROM=python), bf16 when PRECISION is bf16, else fp32;
#  2. per model: `metasweep plan --format json` gives params and MACs/example; the reference's
#     parameter count must equal metasweep's (else it stops); then REPEATS times, interleaved:
#     metasweep train (with --cuda-graphs off and on when the binary has the flag and DEVICE is
#     cuda), pytorch eager, pytorch compile, each EPOCHS epochs of STEPS steps;
#  3. a table: samples/s = median over the epochs after the first WARMUP_EPOCHS (training loop
#     only, evaluation excluded, as both sides print it), ratio to pytorch eager, achieved
#     TFLOP/s = MACs × 2 × 3 (forward + backward ≈ 3 forwards) × samples/s, % of the peak.
#
# Environment (defaults in brackets):
#   DEVICE [cuda]          cuda or cpu
#   PRECISION [bf16 on cuda, fp32 on cpu]   task.precision / --precision (bf16 = autocast, CUDA only)
#   PY [python3 on PATH if it imports torch, else /usr/bin/python3]
#   MODELS ["s12 demo"]    EPOCHS [4]   WARMUP_EPOCHS [1]   REPEATS [1]
#   S12_SIZE [224]  S12_BATCH [128]  S12_STEPS [30]     DEMO_BATCH [128]  DEMO_STEPS [100]
#   TEST_SIZE [one batch]  (evaluated every epoch, untimed)
#   THREADS [nproc]        intra-op threads, both sides
#   PEAK_SIZE [8192 on cuda, 1024 on cpu]   PEAK_DTYPE [bf16 if PRECISION=bf16 else fp32]
#   PEAK_FROM [cpp]        cpp (matmul_peak, Python fallback) or python; PEAK_GFLOPS=X skips the measurement
#   COMPILE_MODE [default] torch.compile mode (e.g. max-autotune: much longer compilation)
#   SIDES ["metasweep eager compile"]   LOGS [unset: temporary]  keep every run's output there
# metasweep runs under `scripts/gpu-build.sh env` when .gpu-prefix/ exists (the relocated
# Debian libraries of a GPU build); the Python side runs in the caller's environment.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${1:-build-gpu}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
BIN=$BUILD/metasweep
DEVICE=${DEVICE:-cuda}
case $DEVICE in cuda) PRECISION=${PRECISION:-bf16} ;; cpu) PRECISION=${PRECISION:-fp32} ;;
  *) echo "DEVICE=$DEVICE: expected cuda or cpu" >&2; exit 2 ;; esac
MODELS=${MODELS:-"s12 demo"}
EPOCHS=${EPOCHS:-4}
WARMUP_EPOCHS=${WARMUP_EPOCHS:-1}
REPEATS=${REPEATS:-1}
S12_SIZE=${S12_SIZE:-224}; S12_BATCH=${S12_BATCH:-128}; S12_STEPS=${S12_STEPS:-30}
DEMO_BATCH=${DEMO_BATCH:-128}; DEMO_STEPS=${DEMO_STEPS:-100}
THREADS=${THREADS:-$(nproc)}
PEAK_DTYPE=${PEAK_DTYPE:-$([[ $PRECISION == bf16 ]] && echo bf16 || echo fp32)}
PEAK_SIZE=${PEAK_SIZE:-$([[ $DEVICE == cuda ]] && echo 8192 || echo 1024)}
PEAK_FROM=${PEAK_FROM:-cpp}
COMPILE_MODE=${COMPILE_MODE:-default}
SIDES=${SIDES:-"metasweep eager compile"}
[[ -n ${OMP_WAIT_POLICY:-} ]] || export GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-10000}  # metasweep's default; the same for Python
export OMP_NUM_THREADS=$THREADS

if (( EPOCHS <= WARMUP_EPOCHS )); then echo "EPOCHS=$EPOCHS must exceed WARMUP_EPOCHS=$WARMUP_EPOCHS" >&2; exit 2; fi
[[ -x $BIN ]] || { echo "$BIN not found: build it (scripts/gpu-build.sh build, or cmake --build $BUILD --target metasweep)" >&2; exit 2; }
if [[ -z ${PY:-} ]]; then
  for cand in python3 /usr/bin/python3; do
    if command -v "$cand" > /dev/null && "$cand" -c 'import torch' 2> /dev/null; then PY=$cand; break; fi
  done
  [[ -n ${PY:-} ]] || { echo "no python3 with torch found: set PY=/path/to/python" >&2; exit 2; }
fi
if [[ -n ${LOGS:-} ]]; then WORK=$LOGS; mkdir -p "$WORK"; else
  WORK=$(mktemp -d /tmp/metasweep-gvp-XXXXXX); trap 'rm -rf "$WORK"' EXIT; fi

MS_ENV=""
if [[ -d $ROOT/.gpu-prefix ]]; then MS_ENV=$("$ROOT/scripts/gpu-build.sh" env); fi
ms() { ( eval "$MS_ENV"; exec "$BIN" "$@" ); }

# ---- header -------------------------------------------------------------------------------
echo "# metasweep vs PyTorch eager / torch.compile, $(date -u +%Y-%m-%dT%H:%MZ), host $(hostname)"
echo "# device $DEVICE, precision $PRECISION, epochs $EPOCHS (first $WARMUP_EPOCHS warm-up), repeats $REPEATS, threads $THREADS"
$PY - "$DEVICE" <<'PY' | sed 's/^/# /'
import sys, torch
msg = f"python {sys.version.split()[0]} ({sys.executable}), torch {torch.__version__}"
if sys.argv[1] == "cuda":
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        msg += f", CUDA {torch.version.cuda}, {p.name}, {p.total_memory / 2**30:.0f} GiB, {p.multi_processor_count} SMs"
    else:
        msg += ", NO CUDA DEVICE VISIBLE TO TORCH"
else:
    msg += f", CPU threads {torch.get_num_threads()}"
print(msg)
PY
if [[ $DEVICE == cuda ]] && command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv,noheader | sed 's/^/# nvidia-smi: /'
else
  echo "# cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# ---- 1. matrix-product peak ---------------------------------------------------------------
peak_python() {
  $PY - "$DEVICE" "$PEAK_DTYPE" "$PEAK_SIZE" "$THREADS" <<'PY'
import statistics, sys, time, torch
dev, dt, n, threads = sys.argv[1], {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[sys.argv[2]], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
a, b = torch.randn(n, n, device=dev, dtype=dt), torch.randn(n, n, device=dev, dtype=dt)
c = torch.empty(n, n, device=dev, dtype=dt)
sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
inner = 20 if dev == "cuda" else 1
for _ in range(10 if dev == "cuda" else 2): torch.mm(a, b, out=c)
sync(); rates = []
for _ in range(10):
    t = time.perf_counter()
    for _ in range(inner): torch.mm(a, b, out=c)
    sync(); rates.append(2 * n ** 3 * inner / (time.perf_counter() - t))
print(f"{sys.argv[2]} gemm {n}x{n}, {dev}: {statistics.median(rates) / 1e9:.1f} GFLOP/s")
PY
}
PEAK_TOOL=$BUILD/bench/matmul_peak
peak_line=""
if [[ -n ${PEAK_GFLOPS:-} ]]; then
  peak_line="given: $PEAK_GFLOPS GFLOP/s"; peak_src="PEAK_GFLOPS"
elif [[ $PEAK_FROM == cpp ]]; then
  if [[ ! -x $PEAK_TOOL ]]; then
    echo "# building matmul_peak: cmake --build $BUILD --target matmul_peak"
    ( eval "$MS_ENV"; cmake --build "$BUILD" --target matmul_peak ) > "$WORK/peak-build.log" 2>&1 || tail -5 "$WORK/peak-build.log"
  fi
  if [[ -x $PEAK_TOOL ]]; then
    peak_line=$( ( eval "$MS_ENV"; exec "$PEAK_TOOL" --device "$DEVICE" --dtype "$PEAK_DTYPE" --size "$PEAK_SIZE" --threads "$THREADS" ) 2>&1 | tail -1)
    peak_src="bench/matmul_peak (LibTorch, C++)"
  fi
fi
if ! grep -q 'GFLOP/s' <<< "$peak_line" || grep -q 'inf GFLOP/s' <<< "$peak_line"; then
  [[ -n $peak_line ]] && echo "# matmul_peak failed: $peak_line"
  peak_line=$(peak_python 2>&1 | tail -1)
  peak_src="torch.mm in $PY"
fi
PEAK_GFLOPS=$(sed -n 's/.*: \([0-9.]*\) GFLOP\/s.*/\1/p' <<< "$peak_line")
echo "# peak ($peak_src): $peak_line"
[[ -n $PEAK_GFLOPS ]] || { echo "could not measure the matrix-product peak" >&2; exit 1; }

# ---- 2. models ----------------------------------------------------------------------------
# name: geometry, recipe and the matching pytorch_reference.py options.
model_vars() {
  case $1 in
    s12) SIZE=$S12_SIZE CH=3 CLS=1000 BATCH=$S12_BATCH STEPS=$S12_STEPS DEPTHS=2,2,6,2 DIMS=64,128,320,512
         SK=7 SS=4 SP=2 LR=1.0e-3 DP=0.1 ;;
    demo) SIZE=28 CH=1 CLS=10 BATCH=$DEMO_BATCH STEPS=$DEMO_STEPS DEPTHS=1,1,2,1 DIMS=16,32,64,96
          SK=3 SS=2 SP=1 LR=2.0e-3 DP=0.0 ;;
    *) echo "unknown model $1 (expected s12, demo)" >&2; exit 2 ;;
  esac
  TRAIN=$((BATCH * STEPS)); TEST=${TEST_SIZE:-$BATCH}
}
py_model_args() {
  echo --depths $DEPTHS --dims $DIMS --stem-kernel $SK --stem-stride $SS --stem-padding $SP --drop-path $DP \
    --channels $CH --classes $CLS --image-size $SIZE
}

declare -A MACS PARAMS
for m in $MODELS; do
  model_vars "$m"
  cat > "$WORK/$m.yaml" <<YAML
name: gbench-$m
base:
  task:
    dataset: synthetic-images
    image_size: $SIZE
    channels: $CH
    num_classes: $CLS
    train_size: $TRAIN
    test_size: $TEST
    precision: $PRECISION
    epochs: $EPOCHS
    batch_size: $BATCH
    optimizer: {name: adamw, lr: $LR, weight_decay: 0.05}
    schedule: {name: cosine, warmup_epochs: 0.5}
    label_smoothing: 0.1
  model:
    arch: metaformer
    depths: [$DEPTHS]
    dims: [$DIMS]
    mixers: pool
    pool_size: 3
    norm: group1
    activation: gelu
    mlp_ratio: 4
    layer_scale: 1.0e-5
    drop_path: $DP
    stem: {kernel: $SK, stride: $SS, padding: $SP}
    downsample: {kernel: 3, stride: 2, padding: 1}
seeds: [0]
YAML
  read -r PARAMS[$m] MACS[$m] < <(ms plan "$WORK/$m.yaml" --format json |
    $PY -c 'import json,sys; j=json.load(sys.stdin)[0]; print(j["params"], j["macs"])')
  py_params=$($PY "$HERE/pytorch_reference.py" --params-only $(py_model_args) | sed -n 's/.*params \([0-9]*\).*/\1/p')
  echo "# model $m: ${SIZE}x${SIZE}x$CH, $CLS classes, depths [$DEPTHS], dims [$DIMS], stem k$SK s$SS p$SP," \
       "drop_path $DP, batch $BATCH, $STEPS steps/epoch; params metasweep ${PARAMS[$m]}, pytorch $py_params;" \
       "$(awk -v m="${MACS[$m]}" 'BEGIN{printf "%.3f", m/1e9}') GMACs/example"
  if [[ "${PARAMS[$m]}" != "$py_params" ]]; then echo "parameter counts differ for $m" >&2; exit 1; fi
done

# metasweep sides: with and without CUDA graphs when the binary has the flag.
MS_SIDES=("metasweep")
if [[ $DEVICE == cuda ]] && ms train --help 2>&1 | grep -q -- '--cuda-graphs'; then
  MS_SIDES=("metasweep graphs=off" "metasweep graphs=on")
fi

: > "$WORK/results.tsv"   # model, side, rep, samples/s (one line per timed epoch)
: > "$WORK/status.tsv"    # model, side, note (unavailable / failed)
: > "$WORK/order.tsv"     # model, side in the order they ran
collect() {  # collect MODEL SIDE REP LOG
  grep -o 'epoch [0-9]*/[0-9]* .* [0-9.]* samples/s' "$4" |
    sed 's|epoch \([0-9]*\)/.* \([0-9.]*\) samples/s|\1 \2|' | while read -r ep sps; do
      if (( ep > WARMUP_EPOCHS )); then printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$sps" >> "$WORK/results.tsv"; fi
    done
  echo "rep $3  $1  $2: $(grep -o '[0-9.]* samples/s' "$4" | tr '\n' ' ')"
}
run_side() {  # run_side MODEL SIDE REP
  local m=$1 side=$2 rep=$3 log="$WORK/$1-${2// /_}-$3.log" rc
  model_vars "$m"
  printf '%s\t%s\n' "$m" "$side" >> "$WORK/order.tsv"
  case $side in
    metasweep*)
      local graphs=()
      [[ $side == *graphs=* ]] && graphs=(--cuda-graphs "${side#*graphs=}")
      ms train "$WORK/$m.yaml" --variant baseline --device "$DEVICE" --threads "$THREADS" ${graphs[@]+"${graphs[@]}"} > "$log" 2>&1 ;;
    pytorch*)
      local compile=()
      [[ $side == *compile ]] && compile=(--compile --compile-mode "$COMPILE_MODE")
      $PY "$HERE/pytorch_reference.py" --synthetic --device "$DEVICE" --precision "$PRECISION" --threads "$THREADS" \
        --epochs "$EPOCHS" --batch "$BATCH" --train-size "$TRAIN" --test-size "$TEST" --lr "$LR" --warmup-epochs 0.5 \
        $(py_model_args) "${compile[@]}" > "$log" 2>&1 ;;
  esac
  rc=$?
  if grep -q '^compile: unavailable' "$log"; then
    echo "rep $rep  $m  $side: $(grep '^compile: unavailable' "$log")"
    printf '%s\t%s\t%s\n' "$m" "$side" "$(grep -o 'unavailable in torch [^ ]*' "$log")" >> "$WORK/status.tsv"
  elif (( rc != 0 )); then
    echo "rep $rep  $m  $side: FAILED (exit $rc); last lines:"; tail -8 "$log" | sed 's/^/    /'
    printf '%s\t%s\t%s\n' "$m" "$side" "failed (exit $rc)" >> "$WORK/status.tsv"
  elif [[ $DEVICE == cuda ]] && ! grep -q -e ' on cuda' -e '^device cuda' "$log"; then
    echo "rep $rep  $m  $side: did not run on the GPU; first lines:"; head -3 "$log" | sed 's/^/    /'
    printf '%s\t%s\t%s\n' "$m" "$side" "not on the GPU" >> "$WORK/status.tsv"
  else
    collect "$m" "$side" "$rep" "$log"
  fi
}

for rep in $(seq 1 "$REPEATS"); do
  for m in $MODELS; do
    for s in $SIDES; do
      case $s in
        metasweep) for ms_side in "${MS_SIDES[@]}"; do run_side "$m" "$ms_side" "$rep"; done ;;
        eager) run_side "$m" "pytorch eager" "$rep" ;;
        compile) run_side "$m" "pytorch compile" "$rep" ;;
        *) echo "unknown side $s (expected metasweep, eager, compile)" >&2; exit 2 ;;
      esac
    done
  done
done

# ---- 3. table ------------------------------------------------------------------------------
macs_args=()
for m in $MODELS; do macs_args+=("$m=${MACS[$m]}"); done
$PY - "$WORK" "$PEAK_GFLOPS" "$PEAK_DTYPE" "${macs_args[@]}" <<'PY'
import collections, statistics, sys
work, peak, peak_dtype = sys.argv[1], float(sys.argv[2]) * 1e9, sys.argv[3]
macs = dict(a.split("=") for a in sys.argv[4:])
runs, notes, order = collections.defaultdict(list), collections.defaultdict(list), []
for line in open(f"{work}/order.tsv"):
    key = tuple(line.rstrip("\n").split("\t"))
    if key not in order: order.append(key)
for line in open(f"{work}/results.tsv"):
    m, side, rep, sps = line.rstrip("\n").split("\t")
    runs[(m, side)].append(float(sps))
for line in open(f"{work}/status.tsv"):
    m, side, note = line.rstrip("\n").split("\t")
    if note not in notes[(m, side)]: notes[(m, side)].append(note)
print()
print(f"peak: {peak / 1e12:.2f} TFLOP/s ({peak_dtype} matrix product); achieved = MACs x 2 x 3 x samples/s;"
      " samples/s = median of n timed epochs")
print(f"| {'model':5} | {'side':22} | {'samples/s':>9} | {'vs eager':>8} | {'TFLOP/s':>8} | {'% of peak':>9} | {'n':>2} | note")
print(f"|{'-' * 7}|{'-' * 24}|{'-' * 11}|{'-' * 10}|{'-' * 10}|{'-' * 11}|{'-' * 4}|------")
for m in macs:
    eager = statistics.median(runs[(m, "pytorch eager")]) if runs.get((m, "pytorch eager")) else None
    for (mm, side) in [k for k in order if k[0] == m]:
        note = "; ".join(notes.get((m, side), []))
        if (m, side) not in runs:
            print(f"| {m:5} | {side:22} | {'-':>9} | {'-':>8} | {'-':>8} | {'-':>9} | {0:2d} | {note}")
            continue
        sps = statistics.median(runs[(m, side)])
        flops = float(macs[m]) * 2 * 3 * sps
        ratio = f"{sps / eager:.2f}" if eager else "-"
        print(f"| {m:5} | {side:22} | {sps:9.0f} | {ratio:>8} | {flops / 1e12:8.3f} | {100 * flops / peak:8.1f}% "
              f"| {len(runs[(m, side)]):2d} | {note}")
PY
# A failed run (not "unavailable") makes the exit status 1, after the table.
if grep -q -e 'failed' -e 'not on the GPU' "$WORK/status.tsv"; then exit 1; fi
