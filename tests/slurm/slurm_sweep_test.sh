#!/usr/bin/env bash
# Proof that scripts/slurm/metasweep.sbatch runs and resumes a sweep on a real SLURM: starts a
# single-node SLURM on localhost (scripts/slurm/local-cluster.sh: slurm-wlm + munge, needs root),
# then, with sbatch and 3 tasks (rank 0 coordinates, 2 workers):
#   1. a tiny sweep runs to the end (srun --mpi=pmix when SLURM has it, else mpirun);
#   2. submitted again (through mpirun this time) it trains nothing: all jobs already finished;
#   3. a longer sweep is scancel'ed once its first job is done; submitted again it skips the
#      finished jobs, continues the interrupted ones from their checkpoints and ends all done.
# Prints PASS/FAIL lines, exits non-zero on any failure, stops the cluster at exit (KEEP_CLUSTER=1
# leaves it running). Takes about 90 s (most of it LibTorch start-up and SLURM's KillWait).
#
#   tests/slurm/slurm_sweep_test.sh [path/to/metasweep]     (default build/metasweep)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${1:-build/metasweep}
[[ -x $BIN ]] || { echo "FAIL: no metasweep binary at $BIN"; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
CLUSTER=$ROOT/scripts/slurm/local-cluster.sh
SCRIPT=$ROOT/scripts/slurm/metasweep.sbatch
WORK=$(mktemp -d /tmp/metasweep-slurm-test.XXXXXX)
FAILS=0
START=$SECONDS

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() {  # check DESCRIPTION COMMAND...: PASS if COMMAND succeeds
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
cleanup() {
  local rc=$?
  if [[ ${KEEP_CLUSTER:-0} != 1 ]]; then "$CLUSTER" stop >/dev/null 2>&1 || true; fi
  if ((FAILS == 0 && rc == 0)); then rm -rf "$WORK"; else echo "(outputs kept in $WORK)"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the cluster: 3 tasks need 3 CPUs in SLURM's eyes; rank 0 only coordinates, so a 2-core
# machine is declared with 3 (local-cluster.sh makes slurmd trust the declared count).
CPUS=$(nproc)
((CPUS < 3)) && CPUS=3
if ! CPUS=$CPUS "$CLUSTER" start >"$WORK/cluster.log" 2>&1; then
  cat "$WORK/cluster.log"
  fail "local SLURM cluster started"
  exit 1
fi
eval "$("$CLUSTER" env)"
pass "local SLURM cluster up: $(sinfo -h -o '%P %a %D node(s) %T, %c CPUs' | head -1) ($(sinfo -V))"
echo "     srun --mpi=list: $(srun --mpi=list 2>&1 | tr -s '\n\t ' ' ')"

# --- sweeps
cat >"$WORK/tiny.yaml" <<'EOF'
name: slurm-tiny
base:
  task: {dataset: synthetic-images, image_size: 8, train_size: 64, test_size: 32, epochs: 2, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16], stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1]
ablations:
  mixer:
    - {label: identity, model.mixers: identity}
EOF
cat >"$WORK/long.yaml" <<'EOF'
name: slurm-long
base:
  task: {dataset: synthetic-images, image_size: 8, train_size: 1536, test_size: 32, epochs: 8, batch_size: 16}
  model: {depths: [1, 1], dims: [8, 16], stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0, 1, 2]
ablations:
  mixer:
    - {label: identity, model.mixers: identity}
EOF

# submit NAME SWEEP DB [VAR=VALUE,...]: sbatch the script with 3 tasks, print the job id
submit() {
  local name=$1 sweep=$2 db=$3 more=${4:+,$4}
  sbatch --parsable --job-name="ms-$name" --nodes=1 --ntasks=3 --ntasks-per-node=3 --cpus-per-task=1 \
    --time=10 --chdir="$WORK" --output="$WORK/$name.out" \
    --export="ALL,SWEEP=$sweep,DB=$db,METASWEEP=$BIN$more" "$SCRIPT" | cut -d';' -f1
}
job_state() { squeue -h -t all -j "$1" -o '%T' 2>/dev/null | head -1; }
# wait_job ID SECONDS: until the job leaves the queue (pending/running/completing)
wait_job() {
  local deadline=$((SECONDS + $2)) s
  while ((SECONDS < deadline)); do
    s=$(job_state "$1")
    case $s in PENDING | RUNNING | COMPLETING | CONFIGURING | SUSPENDED) sleep 0.3 ;; *) echo "$s"; return 0 ;; esac
  done
  echo "TIMEOUT"
  return 1
}
# status DB SWEEP: "jobs done" of the sweep from `metasweep status`
done_count() { "$BIN" status --db "$1" 2>/dev/null | sed -n "s/^sweep $2: \([0-9]*\) jobs, \([0-9]*\) done.*/\1 \2/p"; }
show_out() {  # the job's output, its -v epoch lines counted instead of shown
  local n
  n=$(grep -c '\] epoch ' "$WORK/$1.out")
  grep -v '\] epoch ' "$WORK/$1.out" | sed 's/^/     | /'
  ((n == 0)) || echo "     | ($n per-epoch lines of -v not shown)"
}

# --- 1. a tiny sweep, submitted with sbatch, runs to the end
echo "--- $((SECONDS - START))s 1. sbatch a tiny sweep (4 jobs)"
J1=$(submit tiny1 tiny.yaml tiny.db)
[[ -n $J1 ]] || { fail "sbatch accepted the tiny sweep"; exit 1; }
S1=$(wait_job "$J1" 90)
show_out tiny1
LAUNCH1=$(sed -n 's/^metasweep.sbatch: launcher \([a-z]*\):.*/\1/p' "$WORK/tiny1.out")
check "job $J1 ended COMPLETED (got $S1), launched with $LAUNCH1" test "$S1" = COMPLETED
check "run 1 trained all 4 jobs" grep -q "sweep slurm-tiny: 4 done, 0 diverged, 0 failed, 0 already finished" "$WORK/tiny1.out"
check "database: 4 of 4 jobs done" test "$(done_count "$WORK/tiny.db" slurm-tiny)" = "4 4"

# --- 2. submitted again, through mpirun inside the allocation: nothing left to train
echo "--- $((SECONDS - START))s 2. sbatch the same sweep again (LAUNCHER=mpirun)"
J2=$(submit tiny2 tiny.yaml tiny.db LAUNCHER=mpirun)
S2=$(wait_job "$J2" 90)
show_out tiny2
check "job $J2 ended COMPLETED (got $S2)" test "$S2" = COMPLETED
check "mpirun launched it inside the allocation" grep -q "^metasweep.sbatch: launcher mpirun: mpirun -np 3 --bind-to none" "$WORK/tiny2.out"
check "resubmission skipped the 4 finished jobs" grep -q "sweep slurm-tiny: 0 done, 0 diverged, 0 failed, 4 already finished" "$WORK/tiny2.out"

# --- 3. a longer sweep: scancel after its first job is done, then resubmit
echo "--- $((SECONDS - START))s 3. sbatch a longer sweep (6 jobs x 8 epochs), scancel it after its first job"
J3=$(submit long1 long.yaml long.db METASWEEP_ARGS=-v)
# poll the database (id,status,epochs_done per job) until a job is done and another one has
# checkpointed 1 to 4 of its 8 epochs (far enough from its end that it is still running when the
# cancel lands, ~1 s later), then cancel
deadline=$((SECONDS + 90))
while ((SECONDS < deadline)); do
  "$BIN" results --db "$WORK/long.db" --sweep slurm-long --format csv 2>/dev/null | tail -n +2 | cut -d, -f1,6,9 >"$WORK/poll.csv"
  grep -q ',done,' "$WORK/poll.csv" && grep -v ',done,' "$WORK/poll.csv" | grep -Eq ',[1-4]$' && break
  [[ $(job_state "$J3") =~ ^(PENDING|RUNNING|CONFIGURING|COMPLETING)$ ]] || break
  sleep 0.2
done
counts="$(grep -c ',done,' "$WORK/poll.csv") done, in progress: $(grep -v ',done,' "$WORK/poll.csv" | tr '\n' ' ')"
scancel "$J3"
echo "     scancel $J3 after $counts"
S3=$(wait_job "$J3" 60)
show_out long1
check "job $J3 ended CANCELLED (got $S3)" test "$S3" = CANCELLED
read -r TOTAL DONE3 <<<"$(done_count "$WORK/long.db" slurm-long)"
check "cancelled mid-way: ${DONE3:-?} of ${TOTAL:-?} jobs done" test "${TOTAL:-0}" = 6 -a "${DONE3:-0}" -ge 1 -a "${DONE3:-6}" -lt 6
# jobs left, and how many epochs of each the cancelled run had recorded (id,epochs_done)
"$BIN" results --db "$WORK/long.db" --sweep slurm-long --where status!=done --format csv | tail -n +2 |
  cut -d, -f1,6,9 >"$WORK/left.csv"
echo "     left after scancel (id,status,epochs_done): $(tr '\n' ' ' <"$WORK/left.csv")"
epoch_rows() { sqlite3 -csv "$WORK/long.db" "select job_id, epoch, train_loss, test_loss, test_acc from epochs order by 1, 2"; }
epoch_rows >"$WORK/epochs1.csv"

echo "--- $((SECONDS - START))s 3b. sbatch the longer sweep again: resumes"
J4=$(submit long2 long.yaml long.db METASWEEP_ARGS=-v)
S4=$(wait_job "$J4" 120)
show_out long2
check "job $J4 ended COMPLETED (got $S4)" test "$S4" = COMPLETED
check "resubmission skipped the $DONE3 finished jobs and ran the other $((TOTAL - DONE3))" \
  grep -q "sweep slurm-long: $((TOTAL - DONE3)) done, 0 diverged, 0 failed, $DONE3 already finished" "$WORK/long2.out"
check "database: 6 of 6 jobs done" test "$(done_count "$WORK/long.db" slurm-long)" = "6 6"
# A finished job trains no epoch in run 2. An interrupted job continues from its checkpoint: the
# epochs it had recorded stay in the database as run 1 measured them (run 2 does not print them:
# -v prints an epoch only when it was not recorded before), and run 2 prints only the missing ones.
epoch_lines() { sed -n "s/^[0-9-]* [0-9:]*  .*\[$1\] epoch \([0-9]*\)\/8 .*/\1/p" "$WORK/$2.out" | sort -n | uniq | tr '\n' ' '; }
ok=1 resumed=0
for id in $("$BIN" results --db "$WORK/long.db" --sweep slurm-long --format csv | tail -n +2 | cut -d, -f1); do
  if ! grep -q "^$id," "$WORK/left.csv"; then
    grep -q "\[$id\] epoch" "$WORK/long2.out" && { ok=0; echo "     job $id was done after run 1 but trained again"; }
  fi
done
while IFS=, read -r id _ epochs; do
  want=$(seq $((epochs + 1)) 8 | tr '\n' ' ')
  got=$(epoch_lines "$id" long2)
  if [[ $got != "$want" ]]; then
    ok=0
    echo "     job $id had $epochs epoch(s) recorded: run 2 printed epochs '$got', expected '$want'"
  elif ((epochs > 0)); then
    resumed=$((resumed + 1))
    echo "     job $id: epochs 1-$epochs from the checkpoint, $((8 - epochs)) trained in run 2"
  fi
done <"$WORK/left.csv"
# the epochs recorded before the cancel are in the database unchanged (same losses and accuracy)
changed=$(comm -23 <(sort "$WORK/epochs1.csv") <(epoch_rows | sort) | wc -l)
check "the $(wc -l <"$WORK/epochs1.csv") epoch rows recorded before the cancel are unchanged after the resume" test "$changed" = 0
check "resume trained only what was missing ($resumed interrupted job(s) continued from their checkpoint)" test $ok = 1 -a $resumed -ge 1

echo "--- $((SECONDS - START))s in all"
if ((FAILS == 0)); then echo "PASS: slurm_sweep_test"; exit 0; fi
echo "FAIL: slurm_sweep_test ($FAILS check(s) failed)"
exit 1
