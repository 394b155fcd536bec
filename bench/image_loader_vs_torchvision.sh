#!/usr/bin/env bash
# Images per second of metasweep's streamed image loader against torchvision's ImageFolder +
# DataLoader, same transforms (RandomResizedCrop 224 bicubic, flip, normalise), same folder of
# IMAGES JPEGs around ImageNet's size (500x375 and 375x500, quality 90, ~10 classes), side by
# side in one run, interleaved A B A B per thread count so that machine load hits both alike.
# metasweep decodes on THREADS threads (the trainer's thread takes part); torchvision on THREADS
# worker processes (its main process only collects batches).
# RECIPES "basic" (crop, flip, normalise) and/or "full" (also RandAugment and random erasing: timm's
# rand-m9-mstd0.5-inc1 here, torchvision's RandAugment(2, 9) there; see torchvision_loader.py).
#   usage: bench/image_loader_vs_torchvision.sh [THREADS="1 2"] [IMAGES=10000] [BUILD=build] [ROUNDS=2] [RECIPES="basic full"]
# Needs python3-torchvision and python3-pil (INSTALL_EXTRAS=1 scripts/install-deps.sh).
set -euo pipefail
THREADS=${1:-"1 2"}
IMAGES=${2:-10000}
BUILD=${3:-build}
ROUNDS=${4:-2}
RECIPES=${5:-"basic full"}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${IMAGE_BENCH_DATA:-/tmp/metasweep-image-bench-$IMAGES}
cmake --build "$BUILD" --target image_loader_bench >/dev/null

if [[ ! -f $DATA/.complete ]]; then
  echo "== writing $IMAGES JPEGs to $DATA"
  rm -rf "$DATA"
  "$PY" - "$DATA" "$IMAGES" <<'PY'
import os, random, sys
import numpy as np
from PIL import Image
root, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
for i in range(n):
    w, h = (500, 375) if i % 3 else (375, 500)
    small = rng.integers(0, 256, (h // 25, w // 25, 3), dtype=np.uint8)  # smooth content ...
    img = Image.fromarray(small).resize((w, h), Image.BICUBIC)
    arr = np.asarray(img).astype(np.int16) + rng.normal(0, 6, (h, w, 3)).astype(np.int16)  # ... with texture
    for split, count in (("train", n), ("val", max(1, n // 20))):
        if split == "val" and i >= count:
            continue
        d = os.path.join(root, split, f"class_{i % 10:02d}")
        os.makedirs(d, exist_ok=True)
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(os.path.join(d, f"{i:06d}.jpg"), quality=90)
PY
  touch "$DATA/.complete"
fi
echo "== $(find "$DATA/train" -name '*.jpg' | wc -l) training JPEGs, $(du -sh "$DATA/train" | cut -f1); $(nproc) cores; $(date -u)"

for round in $(seq "$ROUNDS"); do
  for recipe in $RECIPES; do
    for t in $THREADS; do
      "$BUILD/bench/image_loader_bench" "$DATA" 10 "$t" 256 2 "$recipe" | tail -1 | sed "s/^/round $round: /"
      "$PY" "$HERE/torchvision_loader.py" "$DATA" "$t" 256 2 "$recipe" 2>/dev/null | tail -1 | sed "s/^/round $round: /"
    done
  done
done
