#!/usr/bin/env bash
# A rank of a data-parallel group that hangs without failing (SIGSTOP, as a GPU that stops or a
# file system that stalls): its partner waits in the next collective, which has no timeout of its
# own. With --hang-timeout 10 the partner's watchdog names the wait and the job and ends the
# run (before, it waited for ever) and records the hang beside the job's checkpoint; the database
# stays intact, and the same command counts the hang as the job's failed attempt and resumes the
# run to the end.
source "$(dirname "$0")/common.sh"
cat > "$WORK/sweep.yaml" <<YAML
name: hung-rank
base:
  task: {dataset: fashion-mnist, train_subset: 2048, test_subset: 256, epochs: 3, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1]
YAML
DB=$WORK/h.db
ARGS=(run "$WORK/sweep.yaml" --db "$DB" --device cpu --ranks-per-job 2)
setsid $MPIRUN -np 3 "$BIN" "${ARGS[@]}" --hang-timeout 10 > "$WORK/out1" 2> "$WORK/err1" &
pid=$!

cleanup() {  # a stopped process ignores everything but SIGKILL and SIGCONT
  pkill -CONT -f "$BIN run $WORK/sweep.yaml" 2>/dev/null || true
  pkill -KILL -f "$BIN run $WORK/sweep.yaml" 2>/dev/null || true
  kill -KILL -- -$pid 2>/dev/null || true
}

for _ in $(seq 1 600); do  # one epoch recorded: the group is mid-training
  n=$(sqlite3 "$DB" "select count(*) from epochs" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 1 ] && break
  sleep 0.1
done
victim=$(rank_pid "$BIN run $WORK/sweep.yaml" 2) || { cleanup; fail "no rank 2 found"; }
kill -STOP "$victim"
stopped_at=$(date +%s)

# The partner (world rank 1, rank 0 of the group) gives up after 10 s (plus its polling period)
# and ends the run; 120 s is only a bound against the old behaviour, waiting for ever.
for _ in $(seq 1 1200); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
  cleanup
  cat "$WORK/err1"
  fail "the run still waits 120 s after a rank of its group hung"
fi
ended_after=$(( $(date +%s) - stopped_at ))
set +e
wait $pid
code=$?
set -e
cleanup
[ $code -ne 0 ] || fail "mpirun exited 0 although the run was ended as hung"
# Not before the timeout: the run ended because of the stop, not of something else.
[ "$ended_after" -ge 9 ] || { cat "$WORK/err1"; fail "the run ended ${ended_after} s after the stop, before the 10 s timeout"; }
grep -q "metasweep: error: .*, rank 0 of a group of 2 (job [0-9a-f]*): all-reduce of [0-9]* [A-Za-z]* values has not finished after [0-9]* s: a rank of the group or its GPU hangs without an error" "$WORK/err1" \
  || { cat "$WORK/err1"; fail "no message naming the wait and the job"; }
[ "$(sqlite3 "$DB" "pragma integrity_check")" = ok ] || fail "integrity_check failed after the abort"
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" -lt 2 ] || fail "the sweep finished before the hang"
# The hang is recorded beside the job's checkpoint for the next run, which counts it as a failed
# attempt (so a hang that follows a job cannot end every run).
records=("$DB".checkpoints/*.ckpt.hung)
[ -f "${records[0]}" ] || { ls -la "$DB".checkpoints; fail "no hang record beside the checkpoints"; }
hung_job=$(basename "${records[0]}" .ckpt.hung)
grep -q "(job $hung_job): .* has not finished after" "${records[0]}" || { cat "${records[0]}"; fail "bad hang record"; }

$MPIRUN -np 3 "$BIN" "${ARGS[@]}" > "$WORK/out2" 2> "$WORK/err2" || { cat "$WORK/err2"; fail "resumed run exited $?"; }
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" = 2 ] || fail "not every job done"
grep -q "job $hung_job .* hung in an earlier run (a failed attempt; retrying)" "$WORK/err2" \
  || { cat "$WORK/err2"; fail "the resumed run did not count the hang"; }
[ "$(sqlite3 "$DB" "select failures from jobs where id='$hung_job'")" = 1 ] || fail "the hang is not one failure"
# its history: the attempt that hung on 2 ranks, then the one that finished
[ "$(sqlite3 "$DB" "select group_concat(outcome || '/' || ranks, ' ') from (select * from job_attempts where \
  job_id = '$hung_job' order by attempt)")" = "hung/2 done/2" ] \
  || fail "attempts of the hung job: $(sqlite3 "$DB" "select * from job_attempts where job_id = '$hung_job'")"
[ ! -e "${records[0]}" ] || fail "the hang record was not consumed"
[ "$(sqlite3 "$DB" "select count(*) from epochs")" = 6 ] || fail "expected 6 epoch rows (2 jobs x 3)"
echo "run_hung_rank: ok (run ended ${ended_after} s after the rank stopped, mpirun exit $code)"
