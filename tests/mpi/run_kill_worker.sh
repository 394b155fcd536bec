#!/usr/bin/env bash
# SIGKILL one worker rank (not rank 0, not mpirun) mid-epoch: mpirun ends the whole run, then the
# same command resumes it. No epoch recorded before the kill is trained again (the trainer
# checkpoints each epoch before reporting it), so at most the epoch each job was in is lost; every
# job ends done exactly once with all its epochs (one whose report died with the rank is re-sent
# from the checkpoint), no duplicated epoch rows, the same metrics, and an intact database.
source "$(dirname "$0")/common.sh"
cat > "$WORK/sweep.yaml" <<YAML
name: worker-killed
base:
  task: {dataset: fashion-mnist, train_subset: 2048, test_subset: 256, epochs: 4, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1, 2]
YAML
DB=$WORK/w.db
setsid $MPIRUN -np 3 "$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu > "$WORK/out1" 2> "$WORK/err1" &
pid=$!
run_of_this_test="$BIN run $WORK/sweep.yaml"

# Wait until at least two epochs are recorded: both worker ranks are then mid-training.
for _ in $(seq 1 600); do
  n=$(sqlite3 "$DB" "select count(*) from epochs" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 2 ] && break
  sleep 0.1
done
victim=$(rank_pid "$run_of_this_test" 2) || victim=$(rank_pid "$run_of_this_test" 1) || { kill -KILL -- -$pid; fail "no worker rank found"; }
rank0=$(rank_pid "$run_of_this_test" 0) || true
[ "$victim" != "${rank0:-none}" ] || fail "picked rank 0"
kill -KILL "$victim"

# mpirun must notice the dead rank and end the whole run by itself (no hang).
for _ in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
  kill -KILL -- -$pid 2>/dev/null || true
  fail "mpirun still running 30 s after a worker rank was killed"
fi
set +e
wait $pid
code=$?
set -e
[ $code -ne 0 ] || fail "mpirun exited 0 although a rank was killed"
pkill -KILL -f "$BIN run $WORK/sweep.yaml" 2>/dev/null || true
sleep 0.2
[ "$(sqlite3 "$DB" "pragma integrity_check")" = ok ] || fail "integrity_check failed after the kill"
sqlite3 "$DB" "select job_id, epoch, train_loss, test_acc from epochs order by 1, 2" > "$WORK/after_kill"
done_before=$(sqlite3 "$DB" "select count(*) from jobs where status='done'")
[ "$done_before" -lt 3 ] || fail "the sweep finished before the worker could be killed"

$MPIRUN -np 3 "$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu --verbose > "$WORK/out2" 2> "$WORK/err2" \
  || { cat "$WORK/err2"; fail "resumed run exited $?"; }
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" = 3 ] || fail "not every job done"
[ "$(sqlite3 "$DB" "select count(*) from epochs")" = 12 ] \
  || { sqlite3 "$DB" "select job_id, epoch, recorded_at from epochs order by 1, 2"; echo "-- after the kill:"; cat "$WORK/after_kill"; cat "$WORK/err2"; fail "expected 12 epoch rows (3 jobs x 4)"; }
[ "$(sqlite3 "$DB" "select count(*) from (select job_id, epoch from epochs group by 1,2 having count(*)>1)")" = 0 ] \
  || fail "duplicated epochs"
[ "$(sqlite3 "$DB" "select count(*) from jobs where attempts > 2")" = 0 ] || fail "a job was started too often"
[ "$(sqlite3 "$DB" "pragma integrity_check")" = ok ] || fail "integrity_check failed"
# Nothing recorded before the kill was trained again: the resumed run trained at most the epochs
# missing from the database (one line per trained epoch with --verbose), and the rows recorded
# before the kill are still there with the same metrics.
kept=$(wc -l < "$WORK/after_kill")
# lines are "TIME  JOB epoch N/4 ...", ending "(trained before the restart; from its checkpoint)"
# for an epoch whose report the kill lost, restored from the checkpoint rather than trained again
shown=$(grep -c " epoch [0-9]*/4 " "$WORK/err2" || true)
restored=$(grep " epoch [0-9]*/4 " "$WORK/err2" | grep -c "from its checkpoint)$" || true)
[ "$shown" -le $((12 - kept)) ] || { cat "$WORK/err2"; fail "resume printed $shown epochs ($restored restored), at most $((12 - kept)) were missing"; }
[ "$shown" -ge 1 ] || fail "the resumed run trained nothing (no --verbose epoch lines)"
trained=$((shown - restored))
sqlite3 "$DB" "select job_id, epoch, train_loss, test_acc from epochs order by 1, 2" > "$WORK/after_resume"
lost=$(comm -23 "$WORK/after_kill" "$WORK/after_resume" | wc -l)
[ "$lost" = 0 ] || { comm -23 "$WORK/after_kill" "$WORK/after_resume"; fail "$lost recorded epoch(s) changed"; }
echo "run_kill_worker: ok (mpirun exit $code; $kept epoch rows survived the kill, $trained trained and $restored restored from checkpoints on resume; $done_before job(s) done before it)"
