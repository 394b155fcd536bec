#!/usr/bin/env bash
# Ctrl-C (SIGINT) on `metasweep train --db`: exit 130 and the job recorded back as `pending`, not
# left `running`; while it trains, `status` names the live run; after a SIGKILL (nothing can record
# anything) `status` says the job is stale because no run holds the database's lock (issue 13.13).
source "$(dirname "$0")/common.sh"
cat > "$WORK/sweep.yaml" <<YAML
name: interrupted
base:
  task: {dataset: fashion-mnist, train_subset: 1024, test_subset: 128, epochs: 500, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0]
YAML
DB=$WORK/t.db
wait_for_epoch() {
  for _ in $(seq 1 1200); do
    n=$(sqlite3 "$DB" "select count(*) from epochs" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 1 ] && return 0
    sleep 0.1
  done
  fail "no epoch recorded"
}

"$BIN" train "$WORK/sweep.yaml" --variant baseline --db "$DB" --device cpu --threads 1 > "$WORK/out1" 2> "$WORK/err1" &
pid=$!
wait_for_epoch
"$BIN" status --db "$DB" > "$WORK/status1"
grep -q "live run, pid" "$WORK/status1" || { cat "$WORK/status1"; fail "status does not see the live run"; }
kill -INT $pid
set +e
wait $pid
code=$?
set -e
[ $code -eq 130 ] || { cat "$WORK/err1"; fail "train exited $code after SIGINT, expected 130"; }
[ "$(sqlite3 "$DB" "select status from jobs")" = pending ] || fail "job left $(sqlite3 "$DB" "select status from jobs") after Ctrl-C"
grep -q "recorded as pending" "$WORK/err1" || { cat "$WORK/err1"; fail "no interruption message"; }
# its attempt ends interrupted, after the epoch it recorded, on the ranks it trained on
[ "$(sqlite3 "$DB" "select attempt, outcome, ranks, ended_at > started_at from job_attempts")" = "1|interrupted|1|1" ] \
  || fail "attempt history after Ctrl-C: $(sqlite3 "$DB" "select * from job_attempts")"

# The reader of its output leaves (`train ... | head -n 2`): the next epoch line raises SIGPIPE,
# handled like Ctrl-C: exit 141 and the job recorded back as pending.
sqlite3 "$DB" "delete from epochs"
set +e
"$BIN" train "$WORK/sweep.yaml" --variant baseline --db "$DB" --device cpu --threads 1 2> "$WORK/err_pipe" | head -n 2 > /dev/null
code=${PIPESTATUS[0]}
set -e
[ $code -eq 141 ] || { cat "$WORK/err_pipe"; fail "train exited $code when its output pipe closed, expected 141"; }
[ "$(sqlite3 "$DB" "select status from jobs")" = pending ] || fail "job left $(sqlite3 "$DB" "select status from jobs") after the pipe closed"
grep -q "recorded as pending" "$WORK/err_pipe" || { cat "$WORK/err_pipe"; fail "no interruption message after the pipe closed"; }

sqlite3 "$DB" "delete from epochs"
"$BIN" train "$WORK/sweep.yaml" --variant baseline --db "$DB" --device cpu --threads 1 > "$WORK/out2" 2> "$WORK/err2" &
pid=$!
wait_for_epoch
kill -KILL $pid
set +e
wait $pid
set -e
[ "$(sqlite3 "$DB" "select status from jobs")" = running ] || fail "expected the killed job to be left running"
"$BIN" status --db "$DB" > "$WORK/status2"
grep -q "stale (run died)" "$WORK/status2" || { cat "$WORK/status2"; fail "status does not call the dead run's job stale"; }
grep -q "no metasweep run holds the database's lock" "$WORK/status2" || { cat "$WORK/status2"; fail "no stale note"; }
# `status --job` shows the killed attempt as its run left it: running, its run dead
"$BIN" status --db "$DB" --job "$(sqlite3 "$DB" "select id from jobs")" > "$WORK/history"
grep -Eq "^ +3 .*\(its run died\) .* running " "$WORK/history" || { cat "$WORK/history"; fail "status --job"; }
echo "train_interrupt: ok"
