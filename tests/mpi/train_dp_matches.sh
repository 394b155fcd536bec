#!/usr/bin/env bash
# Data-parallel equivalence: the same job at the same global batch and seed, trained by
# `metasweep train` on 1 rank and under `mpirun -np 2`, prints per-epoch train and test losses
# equal within 1e-4 relative (the group all-reduces summed, globally scaled gradients). A
# BatchNorm model on 2 ranks ends with bitwise identical parameters and buffers on both ranks
# (the trainer checks their fingerprint and fails the job otherwise): every evaluation uses rank
# 0's running statistics, as DDP's broadcast_buffers, not a mix of two models.
set -euo pipefail
BIN=${METASWEEP_BIN:-build/metasweep}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat > "$TMP/dp.yaml" <<'YAML'
name: dp-equivalence
base:
  task:
    dataset: synthetic-images
    image_size: 12
    channels: 1
    num_classes: 4
    train_size: 512
    test_size: 128
    epochs: 3
    batch_size: 64
    optimizer: {name: adamw, lr: 3.0e-3, weight_decay: 0.05}
    schedule: {name: cosine, warmup_epochs: 0.5}
    label_smoothing: 0.1
    grad_clip: 1.0
  model:
    arch: metaformer
    depths: [1, 1]
    dims: [8, 16]
    head_dim: 8
    drop_path: 0.0
    stem: {kernel: 3, stride: 2, padding: 1}
seeds: [5]
ablations:
  norm:
    - {label: bn, model.norm: batchnorm}
YAML

losses() {  # "train test" per epoch line
  grep '^epoch ' | sed -E 's/.*train_loss ([^ ]+) +test_loss ([^ ]+).*/\1 \2/'
}

"$BIN" train "$TMP/dp.yaml" --variant baseline --device cpu --threads 1 > "$TMP/one.txt"
mpirun --oversubscribe --bind-to none -np 2 "$BIN" train "$TMP/dp.yaml" --variant baseline --device cpu --threads 1 \
  > "$TMP/two.txt"
grep -q '2 rank(s)' "$TMP/two.txt" || { echo "FAIL: the mpirun run did not train on 2 ranks"; cat "$TMP/two.txt"; exit 1; }

losses < "$TMP/one.txt" > "$TMP/one.loss"
losses < "$TMP/two.txt" > "$TMP/two.loss"
echo "1 rank:";  cat "$TMP/one.loss"
echo "2 ranks:"; cat "$TMP/two.loss"
[ "$(wc -l < "$TMP/one.loss")" -eq 3 ] || { echo "FAIL: expected 3 epochs from 1 rank"; cat "$TMP/one.txt"; exit 1; }
paste "$TMP/one.loss" "$TMP/two.loss" | awk '
  function rel(a, b) { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a; return d / (m > 1e-12 ? m : 1e-12) }
  { if (NF != 4) { print "FAIL: epoch " NR " missing from one run"; bad = 1; next }
    if (rel($1, $3) > 1e-4 || rel($2, $4) > 1e-4) { print "FAIL: epoch " NR " differs: " $0; bad = 1 } }
  END { if (NR != 3) { print "FAIL: " NR " epochs"; bad = 1 } exit bad }'
echo "PASS: 1 and 2 ranks agree within 1e-4 relative"

mpirun --oversubscribe --bind-to none -np 2 "$BIN" train "$TMP/dp.yaml" --variant bn --device cpu --threads 1 \
  > "$TMP/bn.txt" 2>&1 || { echo "FAIL: the BatchNorm job on 2 ranks failed"; cat "$TMP/bn.txt"; exit 1; }
[ "$(grep -c '^epoch ' "$TMP/bn.txt")" -eq 3 ] || { echo "FAIL: expected 3 BatchNorm epochs"; cat "$TMP/bn.txt"; exit 1; }
echo "PASS: a BatchNorm model on 2 ranks ends with the same parameters and buffers on both"

# Under mpirun every rank starts the program; a command other than run and train is done by the
# first rank alone, so `plan` prints once, exactly as without mpirun.
"$BIN" plan "$TMP/dp.yaml" > "$TMP/plan1.txt"
mpirun --oversubscribe --bind-to none -np 3 "$BIN" plan "$TMP/dp.yaml" > "$TMP/plan3.txt"
cmp "$TMP/plan1.txt" "$TMP/plan3.txt" || { echo "FAIL: plan under mpirun -np 3 printed other than once"; cat "$TMP/plan3.txt"; exit 1; }
echo "PASS: plan under mpirun -np 3 prints once"
