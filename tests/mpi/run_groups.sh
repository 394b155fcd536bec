#!/usr/bin/env bash
# mpirun -np 5 metasweep run --ranks-per-job 2 on a tiny real sweep: every job done with its
# epochs, the same ids as the single-process plan, and a re-run resumes without training.
source "$(dirname "$0")/common.sh"
SWEEP=$SRC/tests/data/tiny.yaml
DB=$WORK/tiny.db

$MPIRUN -np 5 "$BIN" run "$SWEEP" --db "$DB" --ranks-per-job 2 --device cpu > "$WORK/run.out" 2> "$WORK/run.err" \
  || { cat "$WORK/run.err"; fail "mpirun exited $?"; }

"$BIN" results --db "$DB" --sweep tiny --format json > "$WORK/results.json"
[ "$(json_field "$WORK/results.json" 'len(rows)')" = 4 ] || fail "expected 4 jobs"
[ "$(json_field "$WORK/results.json" 'sorted(set(r["status"] for r in rows))')" = "['done']" ] || fail "not all done"
[ "$(json_field "$WORK/results.json" 'min(r["epochs_done"] for r in rows)')" = 2 ] || fail "epochs missing"
[ "$(json_field "$WORK/results.json" 'all(0 < r["test_acc"] <= 1 for r in rows)')" = True ] || fail "bad test_acc"

# Each job names the node and ranks of the group that trained it (groups of 2: ranks 1-2, 3-4).
HOSTS=$(python3 -c "import sqlite3; print(sorted(set(r[0] for r in sqlite3.connect('$DB').execute('SELECT host FROM jobs'))))")
HOST=$(python3 -c "import socket; print(socket.gethostname())")
case "$HOSTS" in
  *"$HOST (ranks 1-2)"*|*"$HOST (ranks 3-4)"*) ;;
  *) fail "jobs' hosts are $HOSTS, expected '$HOST (ranks 1-2)' or '$HOST (ranks 3-4)'" ;;
esac

"$BIN" plan "$SWEEP" --format json > "$WORK/plan.json"
[ "$(python3 -c "import json; a=json.load(open('$WORK/plan.json')); b=json.load(open('$WORK/results.json')); print(sorted(r['id'] for r in a)==sorted(r['id'] for r in b))")" = True ] \
  || fail "plan ids differ from the ids that ran"

# Re-running the same command resumes: nothing left to train.
$MPIRUN -np 3 "$BIN" run "$SWEEP" --db "$DB" --device cpu > "$WORK/rerun.out" 2> "$WORK/rerun.err" \
  || { cat "$WORK/rerun.err"; fail "re-run exited $?"; }
grep -q "4 already finished" "$WORK/rerun.out" || { cat "$WORK/rerun.out"; fail "re-run did not skip finished jobs"; }
echo "run_groups: ok"
