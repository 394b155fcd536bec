#!/usr/bin/env bash
# `metasweep stop` on a running sweep (named through a symlink to its database): the run records
# its running job as interrupted and exits (130, like Ctrl-C), no job is left `running`, and `run`
# through the symlink finishes the sweep from the checkpoints beside the real database.
# With nothing running, stop says so and exits 1; `forget --job` and `note` are refused while
# the run holds the database and work once it ended.
source "$(dirname "$0")/common.sh"
cat > "$WORK/sweep.yaml" <<YAML
name: stopped
base:
  task: {dataset: fashion-mnist, train_subset: 2048, test_subset: 256, epochs: 8, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1]
YAML
DB=$WORK/s.db
set +e
"$BIN" stop --db "$DB" --yes > "$WORK/none.out" 2> "$WORK/none.err"
code=$?
set -e
# no database yet: said as every command says it (exit 2)
[ $code = 2 ] && grep -q "$DB: no such database" "$WORK/none.err" || fail "stop without a database: exit $code"
"$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu > "$WORK/out1" 2> "$WORK/err1" &
pid=$!
for _ in $(seq 1 600); do
  n=$(sqlite3 "$DB" "select count(*) from epochs" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 1 ] && break
  sleep 0.1
done
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" -lt 2 ] || fail "the sweep finished too early"
id=$(sqlite3 "$DB" "select id from jobs limit 1")
set +e
"$BIN" forget --db "$DB" --job "$id" --yes > /dev/null 2> "$WORK/forget.err"
forget_code=$?
"$BIN" stop --db "$DB" < /dev/null > /dev/null 2> "$WORK/noyes.err"  # no terminal, no --yes: refused
noyes_code=$?
set -e
[ $forget_code = 2 ] && grep -q "in use by another metasweep run" "$WORK/forget.err" || fail "forget during a run: exit $forget_code"
[ $noyes_code = 2 ] && grep -q "refused without --yes" "$WORK/noyes.err" || fail "stop without --yes: exit $noyes_code"
ln -s s.db "$WORK/alias.db"  # the run is found through any path to its database
"$BIN" stop --db "$WORK/alias.db" --yes > "$WORK/stop.out" || fail "stop exited $?"
grep -q "sent SIGTERM to pid $pid" "$WORK/stop.out" || { cat "$WORK/stop.out"; fail "stop did not signal the run"; }
set +e
wait $pid
code=$?
set -e
[ $code = 130 ] || { cat "$WORK/err1"; fail "the stopped run exited $code, expected 130"; }
grep -q "interrupted" "$WORK/err1" || fail "the run did not report the interruption"
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='running'")" = 0 ] || fail "jobs left running after stop"
"$BIN" note --db "$DB" --sweep stopped "stopped by run_stop.sh" || fail "note exited $?"
"$BIN" note --db "$DB" --sweep stopped | grep -q "stopped by run_stop.sh" || fail "note not listed"
# Resumed through the symlink: the interrupted job continues from the checkpoint the first run
# wrote beside the real database, so -v shows exactly the epochs the database lacks (a job that
# restarted from scratch would show all 8 of its epochs again).
recorded=$(sqlite3 "$DB" "select count(*) from epochs")
"$BIN" run "$WORK/sweep.yaml" --db "$WORK/alias.db" --device cpu -v > "$WORK/out2" 2> "$WORK/err2" \
  || { cat "$WORK/err2"; fail "resumed run exited $?"; }
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" = 2 ] || fail "not every job done after resume"
shown=$(grep -c "\] epoch [0-9]*/8 " "$WORK/err2" || true)
[ "$shown" = $((16 - recorded)) ] || { cat "$WORK/err2"; fail "resume through the symlink showed $shown epochs, $((16 - recorded)) were missing"; }
[ ! -e "$WORK/alias.db.checkpoints" ] || fail "a second checkpoint folder beside the symlink"
# a database no run writes: nothing to stop (exit 1)
set +e
"$BIN" stop --db "$DB" --yes > "$WORK/none.out" 2> "$WORK/none.err"
code=$?
set -e
[ $code = 1 ] && grep -q "no metasweep run is writing" "$WORK/none.err" || fail "stop without a run: exit $code"
echo "run_stop: ok ($recorded epochs recorded before the stop, $shown after the resume through a symlink)"
