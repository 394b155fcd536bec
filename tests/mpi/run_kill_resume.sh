#!/usr/bin/env bash
# SIGKILL every rank and mpirun at once mid-sweep, then run the same command again: every job ends
# done exactly once from its checkpoint (no recorded epoch trained again or changed), no epoch row
# is duplicated, and the database passes PRAGMA integrity_check.
source "$(dirname "$0")/common.sh"
cat > "$WORK/sweep.yaml" <<YAML
name: killed
base:
  task: {dataset: fashion-mnist, train_subset: 2048, test_subset: 256, epochs: 4, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1, 2]
YAML
DB=$WORK/k.db
setsid $MPIRUN -np 3 "$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu > "$WORK/out1" 2> "$WORK/err1" &
pid=$!
# wait until some epochs are recorded, then kill everything at once
for _ in $(seq 1 600); do
  n=$(sqlite3 "$DB" "select count(*) from epochs" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 2 ] && break
  sleep 0.1
done
# every rank first (one pkill: a power cut, not mpirun tearing its ranks down one by one), then
# mpirun's process group
pkill -KILL -f "$BIN run $WORK/sweep.yaml" 2>/dev/null || true
kill -KILL -- -$pid 2>/dev/null || kill -KILL $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
for _ in $(seq 1 50); do pgrep -f "$BIN run $WORK/sweep.yaml" > /dev/null || break; sleep 0.1; done
! pgrep -f "$BIN run $WORK/sweep.yaml" > /dev/null || fail "a rank survived SIGKILL"
done_before=$(sqlite3 "$DB" "select count(*) from jobs where status='done'")
[ "$done_before" -lt 3 ] || fail "the sweep finished before it could be killed"
sqlite3 "$DB" "select job_id, epoch, train_loss, test_acc from epochs order by 1, 2" > "$WORK/after_kill"
open_attempts=$(sqlite3 "$DB" "select count(*) from job_attempts where outcome = 'running'")
[ "$open_attempts" -ge 1 ] || fail "no attempt was open when the run was killed"

$MPIRUN -np 3 "$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu -v > "$WORK/out2" 2> "$WORK/err2" \
  || { cat "$WORK/err2"; fail "resumed run exited $?"; }
# the epochs recorded before the kill stay as they were, and the resumed run shows (-v) only the
# epochs the database lacked: each job continued from its checkpoint
sqlite3 "$DB" "select job_id, epoch, train_loss, test_acc from epochs order by 1, 2" > "$WORK/after_resume"
changed=$(comm -23 "$WORK/after_kill" "$WORK/after_resume" | wc -l)
[ "$changed" = 0 ] || { comm -23 "$WORK/after_kill" "$WORK/after_resume"; fail "$changed recorded epoch(s) changed"; }
kept=$(wc -l < "$WORK/after_kill")
shown=$(grep -c "\] epoch [0-9]*/4 " "$WORK/err2" || true)
[ "$shown" = $((12 - kept)) ] || { cat "$WORK/err2"; fail "resume showed $shown epochs, $((12 - kept)) were missing"; }
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" = 3 ] || fail "not every job done"
[ "$(sqlite3 "$DB" "select count(*) from epochs")" = 12 ] || fail "expected 12 epoch rows (3 jobs x 4)"
[ "$(sqlite3 "$DB" "select count(*) from (select job_id, epoch from epochs group by 1,2 having count(*)>1)")" = 0 ] || fail "duplicated epochs"
[ "$(sqlite3 "$DB" "pragma integrity_check")" = ok ] || fail "integrity_check failed"
# the killed run's attempts end interrupted (at their last epoch), each job's last attempt done
[ "$(sqlite3 "$DB" "select count(*) from job_attempts where outcome = 'interrupted' and ended_at >= started_at")" \
  = "$open_attempts" ] || fail "attempts: $(sqlite3 "$DB" "select * from job_attempts")"
[ "$(sqlite3 "$DB" "select count(*) from job_attempts a where outcome = 'done' and attempt = \
  (select max(attempt) from job_attempts b where b.job_id = a.job_id)")" = 3 ] || fail "a job's last attempt is not done"
echo "run_kill_resume: ok (done before kill: $done_before; $kept epoch rows kept, $shown trained or restored on resume)"
