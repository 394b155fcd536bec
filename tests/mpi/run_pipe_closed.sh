#!/usr/bin/env bash
# `metasweep run ... 2>&1 | head`: the reader of the progress output exits mid-sweep. The run
# records its running job as interrupted (nothing left `running`, no stale lock), says so and
# exits 141 (128 + SIGPIPE); the same command resumes and finishes the sweep. Before, SIGPIPE's
# default action killed the run with its job left `running`.
source "$(dirname "$0")/common.sh"
cat > "$WORK/sweep.yaml" <<YAML
name: piped
base:
  task: {dataset: fashion-mnist, train_subset: 1024, test_subset: 256, epochs: 3, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1, 2, 3]
YAML
DB=$WORK/p.db
set +e
"$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu 2>&1 | head -n 2 > "$WORK/head"
codes=("${PIPESTATUS[@]}")
set -e
[ "$(wc -l < "$WORK/head")" = 2 ] || fail "head did not get its 2 lines"
# 141 is also what bash reports for a process SIGPIPE killed; what proves the handler is the next
# check: killed, the run would leave the job it was training `running`. (head exits after the
# first two progress lines; the third, written once job 1 is done and job 2 has started, is the
# write that finds the pipe closed.)
[ "${codes[0]}" = 141 ] || fail "run exited ${codes[0]} when its output pipe closed, expected 141"
done_now=$(sqlite3 "$DB" "select count(*) from jobs where status='done'")
[ "$done_now" -lt 4 ] || fail "the sweep finished before the pipe closed"
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='running'")" = 0 ] || fail "a job was left running"
[ "$(sqlite3 "$DB" "pragma integrity_check")" = ok ] || fail "integrity_check failed"
"$BIN" status --db "$DB" > "$WORK/status" 2>&1 || { cat "$WORK/status"; fail "status failed"; }
if grep -qi "stale" "$WORK/status"; then cat "$WORK/status"; fail "status calls the run stale"; fi
"$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu > "$WORK/out2" 2> "$WORK/err2" \
  || { cat "$WORK/err2"; fail "resumed run exited $?"; }
grep -q "$done_now already finished" "$WORK/err2" || { cat "$WORK/err2"; fail "the resumed run did not skip the done jobs"; }
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" = 4 ] || fail "not every job done after resume"
echo "run_pipe_closed: ok ($done_now of 4 done when the pipe closed)"
