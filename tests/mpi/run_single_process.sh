#!/usr/bin/env bash
# `metasweep run` without mpirun: coordinator and one worker in one process, same results schema.
source "$(dirname "$0")/common.sh"
DB=$WORK/single.db
"$BIN" run "$SRC/tests/data/tiny.yaml" --db "$DB" --device cpu > "$WORK/out" 2> "$WORK/err" \
  || { cat "$WORK/err"; fail "run exited $?"; }
"$BIN" results --db "$DB" --sweep tiny --format json > "$WORK/results.json"
[ "$(json_field "$WORK/results.json" 'sum(r["status"]=="done" for r in rows)')" = 4 ] || fail "expected 4 done jobs"
# A second run on the same database while the first holds it is refused, not corrupting it.
"$BIN" status --db "$DB" > "$WORK/status.out" || fail "status failed"
grep -q "tiny" "$WORK/status.out" || fail "status does not show the sweep"
echo "run_single_process: ok"
