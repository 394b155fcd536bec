#!/usr/bin/env bash
# SIGTERM to mpirun mid-sweep: rank 0 records the running jobs as interrupted (pending, resumable)
# and exits; no job is left `running`; the database is intact; re-running finishes the sweep.
source "$(dirname "$0")/common.sh"
cat > "$WORK/sweep.yaml" <<YAML
name: terminated
base:
  task: {dataset: fashion-mnist, train_subset: 2048, test_subset: 256, epochs: 12, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1]
YAML
DB=$WORK/t.db
$MPIRUN -np 2 "$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu > "$WORK/out1" 2> "$WORK/err1" &
pid=$!
for _ in $(seq 1 600); do
  n=$(sqlite3 "$DB" "select count(*) from epochs" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 1 ] && break
  sleep 0.1
done
# 2 jobs x 12 epochs: the sweep is far from done when the signal comes, even on a fast machine.
done_before=$(sqlite3 "$DB" "select count(*) from jobs where status='done'" 2>/dev/null || echo 0)
[ "$done_before" -lt 2 ] || fail "the sweep finished before the signal could be sent"
kill -TERM $pid
set +e
wait $pid
code=$?
set -e
[ $code -ne 0 ] || fail "mpirun exited 0 after SIGTERM"
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='running'")" = 0 ] || fail "jobs left running after SIGTERM"
[ "$(sqlite3 "$DB" "pragma integrity_check")" = ok ] || fail "integrity_check failed"
if ! grep -q "interrupted" "$WORK/err1"; then
  # Open MPI 5's launcher drops the ranks' remaining output once it forwards SIGTERM
  # (docs/reliability.md); the database checks above are what the user relies on.
  if mpirun --version 2>&1 | grep -qE '\(Open MPI\) ([5-9]|[1-9][0-9])\.'; then
    echo "note: $(mpirun --version 2>&1 | head -1) dropped rank 0's output after SIGTERM; database checks passed"
  else
    cat "$WORK/err1"
    fail "rank 0 did not report the interruption"
  fi
fi
$MPIRUN -np 2 "$BIN" run "$WORK/sweep.yaml" --db "$DB" --device cpu > "$WORK/out2" 2> "$WORK/err2" \
  || { cat "$WORK/err2"; fail "resumed run exited $?"; }
[ "$(sqlite3 "$DB" "select count(*) from jobs where status='done'")" = 2 ] || fail "not every job done after resume"
echo "run_sigterm: ok (exit $code after SIGTERM)"
