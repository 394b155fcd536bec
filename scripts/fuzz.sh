#!/usr/bin/env bash
# Runs the libFuzzer targets built by `make fuzz`: each for SECONDS, seeded with the example sweeps
# (sweep_fuzzer), a list of --where expressions (where_fuzzer), small JPEG/PNG files written by
# tests/fuzz/image_seeds.py (image_fuzzer) or small tar shards written by tests/fuzz/tar_seeds.py
# (tar_fuzzer), plus its regression corpus.
# New inputs go to BUILD/fuzz-corpus/<target>/ (kept between runs), crashes to
# BUILD/fuzz-crashes/<target>/. Copy each crash into tests/fuzz/corpus/<target>/ once fixed: the
# unit tests replay that folder. Exit status 1 when a fuzzer found a crash.
# usage: scripts/fuzz.sh [BUILD=build-fuzz] [SECONDS=120] [TARGETS="sweep_fuzzer where_fuzzer image_fuzzer tar_fuzzer"]
set -uo pipefail
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-120}
TARGETS=${3:-sweep_fuzzer where_fuzzer image_fuzzer tar_fuzzer}
SRC=$(cd "$(dirname "$0")/.." && pwd)
status=0
for target in $TARGETS; do
  bin=$BUILD/tests/$target
  [ -x "$bin" ] || { echo "fuzz: $bin not built (make fuzz)" >&2; exit 2; }
  work=$BUILD/fuzz-corpus/$target
  crashes=$BUILD/fuzz-crashes/$target
  seeds=$BUILD/fuzz-seeds/$target
  mkdir -p "$work" "$crashes" "$seeds"
  max_len=4096
  case $target in
    sweep_fuzzer)
      cp "$SRC"/sweeps/*.yaml "$SRC"/tests/data/*.yaml "$seeds"/
      dict=$SRC/tests/fuzz/sweep.dict ;;
    where_fuzzer)
      i=0
      for e in 'model.norm=layernorm' 'model.norm!=none' 'test_acc>0.5' 'test_acc<=0.9' 'seed=1' \
               'section=token mixer' 'model.mixers=[pool, pool, attention, attention]' \
               'model.mixers=["pool","attention"]' 'task.optimizer.lr>=1e-3' 'params<1e6' 'status==done' \
               'model.depths=[2,2,6,2]' 'variant!=baseline'; do
        printf '%s' "$e" > "$seeds/seed$i"
        i=$((i + 1))
      done
      dict=$SRC/tests/fuzz/where.dict ;;
    image_fuzzer)
      /usr/bin/python3 "$SRC/tests/fuzz/image_seeds.py" "$seeds" || exit 2
      dict=$SRC/tests/fuzz/image.dict ;;
    tar_fuzzer)  # a shard of two samples is 5 KiB: tar headers and data are 512-byte blocks
      /usr/bin/python3 "$SRC/tests/fuzz/tar_seeds.py" "$seeds" || exit 2
      dict=$SRC/tests/fuzz/tar.dict max_len=16384 ;;
  esac
  echo "== $target: ${SECONDS_EACH}s"
  # -rss_limit_mb: yaml-cpp recursion on deeply nested input is a real finding, a huge heap is not.
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -dict="$dict" \
    -artifact_prefix="$crashes/" -print_final_stats=1 -close_fd_mask=1 \
    "$work" "$seeds" "$SRC/tests/fuzz/corpus/$target" 2>&1 | tee "$BUILD/fuzz-$target.log" | \
    grep -E "^#[0-9]+ +(DONE|INITED)|stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Test unit written|deadly signal" || true
  found=$(find "$crashes" -type f | wc -l)
  echo "== $target: $found crash/timeout/oom input(s) in $crashes"
  [ "$found" = 0 ] || status=1
done
exit $status
