#!/usr/bin/env bash
# One job of a sweep points at a missing data directory: that job ends `failed` with its
# message recorded, every other job ends `done`, and the run exits 1 (some job failed). A re-run
# that does not retry it (its attempts are used up) still exits 1 and names it in the summary,
# under mpirun and without.
source "$(dirname "$0")/common.sh"
cat > "$WORK/sweep.yaml" <<YAML
name: with-a-broken-job
base:
  task: {dataset: fashion-mnist, train_subset: 256, test_subset: 128, epochs: 1, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0]
ablations:
  data:
    - {label: missing data, task.data_dir: $WORK/no-such-dir}
  mixer:
    - {model.mixers: identity}
YAML
set +e
$MPIRUN -np 3 "$BIN" run "$WORK/sweep.yaml" --db "$WORK/r.db" --device cpu --max-retries 1 > "$WORK/out" 2> "$WORK/err"
code=$?
set -e
[ $code = 1 ] || { cat "$WORK/err"; fail "expected exit status 1 (a job failed), got $code"; }
"$BIN" results --db "$WORK/r.db" --format json > "$WORK/r.json"
[ "$(json_field "$WORK/r.json" '[r["status"] for r in rows if r["variant"]=="missing data"]')" = "['failed']" ] || fail "broken job not failed"
[ "$(json_field "$WORK/r.json" 'sorted(r["status"] for r in rows if r["variant"]!="missing data")')" = "['done', 'done']" ] || fail "other jobs not done"
sqlite3 "$WORK/r.db" "select error from jobs where status='failed'" | grep -q "no-such-dir" || fail "error message not recorded"
# Every attempt knows what it ran on: the failed one (before any epoch) from its group's report.
[ "$(sqlite3 "$WORK/r.db" "select count(*) from job_attempts where device like '1× % (CPU, % thread%)'")" = 3 ] \
  || fail "attempts' devices: $(sqlite3 "$WORK/r.db" "select job_id, outcome, device from job_attempts")"
# Attempts used up (1 > --max-retries 0): nothing runs, the sweep still has a failed job.
id=$(sqlite3 "$WORK/r.db" "select id from jobs where status='failed'")
for launcher in "$MPIRUN -np 3" ""; do
  set +e
  $launcher "$BIN" run "$WORK/sweep.yaml" --db "$WORK/r.db" --device cpu --max-retries 0 > "$WORK/out2" 2> "$WORK/err2"
  code=$?
  set -e
  [ $code = 1 ] || { cat "$WORK/out2" "$WORK/err2"; fail "re-run (${launcher:-alone}): exit $code, expected 1 (a job is failed)"; }
  grep -q "0 done, 0 diverged, 0 failed, 2 already finished, 1 failed earlier and not retried" "$WORK/out2" \
    || { cat "$WORK/out2"; fail "re-run (${launcher:-alone}): summary does not count the failed job"; }
  grep -q "  $id data / missing data seed 0: .*no-such-dir" "$WORK/out2" || { cat "$WORK/out2"; fail "failed job not named"; }
  grep -q "with --max-retries 1; to start one over: metasweep forget --db .* --job $id" "$WORK/out2" \
    || { cat "$WORK/out2"; fail "no advice on retrying"; }
done
echo "run_failed_job: ok"
