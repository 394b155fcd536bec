#!/usr/bin/env bash
# The results database on a full disk. A finished sweep lives in the database; then
#   1. the disk is full before a second sweep starts: `run` exits 1 with one clear line, the
#      database passes integrity_check, the first sweep's rows are unchanged and nothing of the
#      second sweep was written (its registration is one transaction);
#   2. the disk fills up while the second sweep runs: the run ends with an error (not a crash or a
#      hang), the database stays intact, and once space is freed the same command finishes it.
# The disk is a 3 MiB tmpfs; where mounting is not allowed the test is skipped (exit 77, reported
# as skipped by CTest): `ulimit -f` is no substitute, as it also breaks MPI_Init's shared memory.
source "$(dirname "$0")/common.sh"
DISK=$WORK/disk
mkdir -p "$DISK"
mount -t tmpfs -o size=3m tmpfs "$DISK" 2> /dev/null || { echo "db_full_disk: skipped (cannot mount a tmpfs)"; exit 77; }
trap 'umount "$DISK" 2> /dev/null || umount -l "$DISK" 2> /dev/null; rm -rf "$WORK"' EXIT
DB=$DISK/r.db
CKPT=$DISK/ckpt
cat > "$WORK/first.yaml" <<YAML
name: first
base:
  task: {dataset: fashion-mnist, train_subset: 256, test_subset: 128, epochs: 2, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1]
YAML
sed 's/^name: first/name: second/; s/seeds: \[0, 1\]/seeds: [3, 4, 5]/; s/epochs: 2/epochs: 3/' \
  "$WORK/first.yaml" > "$WORK/second.yaml"
"$BIN" run "$WORK/first.yaml" --db "$DB" --checkpoint-dir "$CKPT" --device cpu > /dev/null 2> "$WORK/err0" \
  || { cat "$WORK/err0"; fail "setup run failed"; }
first_rows() {
  sqlite3 "$DB" "select e.job_id, e.epoch, e.test_acc, e.recorded_at from epochs e join sweep_jobs m on m.job_id = e.job_id
                 where m.sweep = 'first' order by 1, 2;
                 select j.id, j.status, j.epochs_done from jobs j join sweep_jobs m on m.job_id = j.id
                 where m.sweep = 'first' order by 1"
}
first_before=$(first_rows)

fill_disk() { dd if=/dev/zero of="$DISK/fill" bs=4k 2> /dev/null || true; sync; }
check_intact() {  # check_intact LABEL (a job cut off by the failure may stay `running`: the next run resumes it)
  [ "$(sqlite3 "$DB" "pragma integrity_check")" = ok ] || fail "$1: integrity_check failed"
  [ "$(first_rows)" = "$first_before" ] || fail "$1: the first sweep's results changed"
}

# 1. Full before the run starts.
fill_disk
set +e
"$BIN" run "$WORK/second.yaml" --db "$DB" --checkpoint-dir "$CKPT" --device cpu > "$WORK/out1" 2> "$WORK/err1"
code=$?
set -e
[ $code = 1 ] || { cat "$WORK/err1"; fail "full disk: run exited $code, expected 1"; }
[ "$(wc -l < "$WORK/err1")" = 1 ] || { cat "$WORK/err1"; fail "full disk: expected one line on stderr"; }
grep -qi "full\|no space" "$WORK/err1" || { cat "$WORK/err1"; fail "full disk: unclear error"; }
rm -f "$DISK/fill"  # sqlite3 itself needs room for the WAL index to read the database
check_intact "full disk"
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='running'")" = 0 ] || fail "full disk: jobs left running"
[ "$(sqlite3 "$DB" "select count(*) from sweeps where name='second'")" = 0 ] || fail "full disk: half a sweep registered"
[ "$(sqlite3 "$DB" "select count(*) from jobs")" = 2 ] || fail "full disk: jobs of the refused sweep were written"
echo "full before the run: exit $code: $(cat "$WORK/err1")"

# 2. Full while the run goes on (the disk is filled from outside mid-run).
rm -f "$DISK/fill"
"$BIN" run "$WORK/second.yaml" --db "$DB" --checkpoint-dir "$CKPT" --device cpu > "$WORK/out2" 2> "$WORK/err2" &
pid=$!
for _ in $(seq 1 600); do
  n=$(sqlite3 "$DB" "select count(*) from epochs e join sweep_jobs m on m.job_id = e.job_id where m.sweep='second'" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 1 ] && break
  sleep 0.05
done
fill_disk
for _ in $(seq 1 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -KILL $pid; fail "mid-run: the run hangs on a full disk"; }
set +e
wait $pid
code=$?
set -e
[ $code = 1 ] || { cat "$WORK/err2"; fail "mid-run: run exited $code, expected 1"; }
grep -qi "full\|no space" "$WORK/err2" || { cat "$WORK/err2"; fail "mid-run: unclear error"; }
rm -f "$DISK/fill"
check_intact "mid-run"
echo "full mid-run: exit $code: $(grep -i "full\|no space" "$WORK/err2" | tail -n 1)"

# Space freed: the same command finishes the second sweep, each epoch recorded once.
"$BIN" run "$WORK/second.yaml" --db "$DB" --checkpoint-dir "$CKPT" --device cpu > "$WORK/out3" 2> "$WORK/err3" \
  || { cat "$WORK/err3"; fail "the run after freeing space failed"; }
check_intact "after freeing space"
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='running'")" = 0 ] || fail "jobs left running at the end"
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" = 5 ] || fail "not every job done after freeing space"
[ "$(sqlite3 "$DB" "select count(*) from epochs")" = 13 ] || fail "expected 13 epoch rows (2x2 + 3x3)"
echo "db_full_disk: ok"
