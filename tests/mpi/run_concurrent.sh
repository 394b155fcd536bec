#!/usr/bin/env bash
# Two `metasweep run` commands on one database at once: the second (alone or under mpirun) is
# refused with one clear line naming the holder and exit 2, and writes nothing, also when it names
# the database through a symlink or another spelling of its path; readers (`status`)
# still work during the run; the first run finishes normally with every epoch recorded once.
source "$(dirname "$0")/common.sh"
cat > "$WORK/sweep.yaml" <<YAML
name: first
base:
  task: {dataset: fashion-mnist, train_subset: 1024, test_subset: 128, epochs: 30, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1]
YAML
sed 's/^name: first/name: second/; s/seeds: \[0, 1\]/seeds: [7]/' "$WORK/sweep.yaml" > "$WORK/other.yaml"
DB=$WORK/c.db
$MPIRUN -np 2 "$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu > "$WORK/out1" 2> "$WORK/err1" &
pid=$!
# The sweep is registered under the run lock: from then on the lock is held.
for _ in $(seq 1 600); do
  n=$(sqlite3 "$DB" "select count(*) from jobs" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 2 ] && break
  sleep 0.05
done
kill -0 $pid 2>/dev/null || fail "the first run ended before the second could start"
snapshot() { sqlite3 "$DB" "select count(*) from sweeps; select count(*) from jobs; select count(*) from sweep_jobs"; }
before=$(snapshot)

# Same sweep and another sweep, one process: exit 2, exactly one line on stderr naming the holder.
for sweep in sweep.yaml other.yaml; do
  set +e
  "$BIN" run "$WORK/$sweep" --db "$DB" --device cpu > "$WORK/out2" 2> "$WORK/err2"
  code=$?
  set -e
  [ $code = 2 ] || { cat "$WORK/err2"; fail "second run ($sweep) exited $code, expected 2"; }
  [ "$(wc -l < "$WORK/err2")" = 1 ] || { cat "$WORK/err2"; fail "second run ($sweep): expected one line on stderr"; }
  grep -q "is in use by another metasweep run (pid [0-9]*)" "$WORK/err2" || { cat "$WORK/err2"; fail "unclear refusal"; }
done
# The lock goes by the file, not by the path as typed: a symlink to the database or another
# spelling of its path is refused alike, and `status` through the symlink sees the live run.
ln -s c.db "$WORK/alias.db"
mkdir "$WORK/sub"
for db in "$WORK/alias.db" "$WORK/sub/../c.db"; do
  set +e
  "$BIN" run "$WORK/other.yaml" --db "$db" --device cpu > "$WORK/out2" 2> "$WORK/err2"
  code=$?
  set -e
  [ $code = 2 ] || { cat "$WORK/err2"; fail "second run through $db exited $code, expected 2"; }
  grep -q "is in use by another metasweep run (pid [0-9]*)" "$WORK/err2" || { cat "$WORK/err2"; fail "unclear refusal ($db)"; }
done
[ ! -e "$WORK/alias.db.lock" ] || fail "a lock file was made for the symlink's name"
timeout 20 "$BIN" status --db "$WORK/alias.db" > "$WORK/status" 2>&1 || { cat "$WORK/status"; fail "status via the symlink"; }
! grep -q "stale" "$WORK/status" || { cat "$WORK/status"; fail "status via the symlink calls the live run's jobs stale"; }
# Under mpirun as well: refused (every rank ends, exit 2 from the ranks), nothing hangs.
set +e
timeout 60 $MPIRUN -np 2 "$BIN" run "$WORK/other.yaml" --db "$DB" --device cpu > "$WORK/out3" 2> "$WORK/err3"
code=$?
set -e
# Exit 2 (bad input), as without mpirun: every rank ends with rank 0's status, whichever mpirun sees first.
[ $code = 2 ] || { cat "$WORK/err3"; fail "second run under mpirun exited $code, not 2"; }
grep -q "is in use by another metasweep run" "$WORK/err3" || { cat "$WORK/err3"; fail "no refusal under mpirun"; }
[ "$(snapshot)" = "$before" ] || fail "a refused run wrote to the database"
# Readers never wait for the writer.
timeout 20 "$BIN" status --db "$DB" > "$WORK/status" 2>&1 || { cat "$WORK/status"; fail "status failed during the run"; }

wait $pid || { cat "$WORK/err1"; fail "the first run failed"; }
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" = 2 ] || fail "first run: not every job done"
[ "$(sqlite3 "$DB" "select count(*) from epochs")" = 60 ] || fail "first run: expected 60 epoch rows"
[ "$(sqlite3 "$DB" "select count(*) from sweeps where name='second'")" = 0 ] || fail "the refused sweep was registered"
[ "$(sqlite3 "$DB" "pragma integrity_check")" = ok ] || fail "integrity_check failed"
# The lock is released with the first run: a later run may open the database again.
"$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu > "$WORK/out4" 2> "$WORK/err4" \
  || { cat "$WORK/err4"; fail "a run after the first one was refused"; }
echo "run_concurrent: ok"
