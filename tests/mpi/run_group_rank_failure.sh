#!/usr/bin/env bash
# A data-parallel job (--ranks-per-job 2) whose training share on one rank holds a corrupt image
# (task.on_corrupt: fail), and one whose only failure is a corrupt test image: the failing rank
# must not leave its partner waiting in a collective (it used to hang for ever, --job-timeout
# included). Each job fails with the failing rank's message; the run ends with exit 1. Also: a
# wholly corrupt test split under on_corrupt: skip fails the job instead of recording accuracy 0,
# and the images skipped under on_corrupt: skip are recorded per job and noted in the report.
source "$(dirname "$0")/common.sh"

/usr/bin/python3 - "$WORK" <<'PY'
import os, sys
from PIL import Image
root = sys.argv[1]
for name, bad_train, bad_val in (("bad_train", True, False), ("bad_val", False, True), ("all_val_bad", False, "all")):
    for split, n in (("train", 8), ("val", 4)):
        for k in range(2):
            d = os.path.join(root, name, split, f"class_{k}")
            os.makedirs(d, exist_ok=True)
            for i in range(n):
                path = os.path.join(d, f"{i}.png")
                Image.new("RGB", (20, 20), (120 * k, 60 + 10 * i, 200 - 90 * k)).save(path)
                corrupt = (split == "train" and bad_train and k == 1 and i == 5) or \
                          (split == "val" and (bad_val is True and k == 0 and i == 3 or bad_val == "all"))
                if corrupt:
                    with open(path, "r+b") as f:
                        f.truncate(30)
PY

sweep() {  # sweep NAME DATA ON_CORRUPT
  cat > "$WORK/$1.yaml" <<EOF
name: $1
base:
  task: {dataset: imagefolder, data_dir: "$WORK/$2", num_classes: 2, image_size: 16, epochs: 2, batch_size: 4, on_corrupt: $3}
  model: {depths: [1], dims: [8]}
seeds: [0]
EOF
}
sweep bad_train bad_train fail
sweep bad_val bad_val fail
sweep all_val_bad all_val_bad skip

for name in bad_train bad_val; do
  rc=0
  timeout 300 $MPIRUN -np 3 "$BIN" run "$WORK/$name.yaml" --db "$WORK/$name.db" --ranks-per-job 2 --device cpu \
    --max-retries 0 > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
  [ $rc -eq 124 ] && { cat "$WORK/$name.err"; fail "$name: the run hung (killed by timeout)"; }
  [ $rc -eq 1 ] || { cat "$WORK/$name.err"; fail "$name: exit $rc, expected 1 (the job failed)"; }
  "$BIN" results --db "$WORK/$name.db" --sweep "$name" --format json > "$WORK/$name.json"
  [ "$(json_field "$WORK/$name.json" 'rows[0]["status"]')" = failed ] || fail "$name: job not failed"
  error=$(json_field "$WORK/$name.json" 'rows[0]["error"]')
  case "$error" in
    *"rank "*" of 2: "*".png"*"truncated PNG"*"on_corrupt: skip would skip it"*) ;;
    *) fail "$name: the error does not name the rank and the file: $error" ;;
  esac
done

# Rank 0 alone writes the checkpoint: when that fails (here its temporary file's name is taken by a
# folder), its partner must not go on to the next epoch's all-reduce without it (it used to hang).
cat > "$WORK/ckpt.yaml" <<EOF
name: ckpt
base:
  task: {dataset: synthetic-images, epochs: 2, batch_size: 8, train_size: 64, test_size: 32}
  model: {depths: [1], dims: [8]}
seeds: [0]
EOF
"$BIN" plan "$WORK/ckpt.yaml" --format json > "$WORK/ckpt_plan.json"
ckpt_id=$(json_field "$WORK/ckpt_plan.json" 'rows[0]["id"]')
mkdir -p "$WORK/ckpt/$ckpt_id.ckpt.tmp/taken"
rc=0
timeout 300 $MPIRUN -np 3 "$BIN" run "$WORK/ckpt.yaml" --db "$WORK/ckpt.db" --ranks-per-job 2 --device cpu \
  --max-retries 0 --checkpoint-dir "$WORK/ckpt" > "$WORK/ckpt.out" 2> "$WORK/ckpt.err" || rc=$?
[ $rc -eq 124 ] && { cat "$WORK/ckpt.err"; fail "ckpt: the run hung (killed by timeout)"; }
[ $rc -eq 1 ] || { cat "$WORK/ckpt.err"; fail "ckpt: exit $rc, expected 1 (the job failed)"; }
"$BIN" results --db "$WORK/ckpt.db" --sweep ckpt --format json > "$WORK/ckpt.json"
[ "$(json_field "$WORK/ckpt.json" 'rows[0]["status"]')" = failed ] || fail "ckpt: job not failed"
json_field "$WORK/ckpt.json" 'rows[0]["error"]' | grep -q "rank 0 of 2: .*ckpt.tmp: cannot create checkpoint" \
  || fail "ckpt: $(json_field "$WORK/ckpt.json" 'rows[0]["error"]')"

rc=0
"$BIN" run "$WORK/all_val_bad.yaml" --db "$WORK/all_val_bad.db" --device cpu --max-retries 0 \
  > "$WORK/all_val_bad.out" 2> "$WORK/all_val_bad.err" || rc=$?
[ $rc -eq 1 ] || { cat "$WORK/all_val_bad.err"; fail "all_val_bad: expected exit 1"; }
"$BIN" results --db "$WORK/all_val_bad.db" --sweep all_val_bad --format json > "$WORK/all_val_bad.json"
[ "$(json_field "$WORK/all_val_bad.json" 'rows[0]["status"]')" = failed ] || fail "all_val_bad: job not failed"
json_field "$WORK/all_val_bad.json" 'rows[0]["error"]' | grep -q "evaluated no test example" \
  || fail "all_val_bad: $(json_field "$WORK/all_val_bad.json" 'rows[0]["error"]')"
grep -q "skipped 0 training and 8 test image(s) as corrupt" "$WORK/all_val_bad.err" \
  || { cat "$WORK/all_val_bad.err"; fail "skips not reported"; }

# The same corrupt images under on_corrupt: skip, on a group of 2 ranks: the jobs finish, and what
# they skipped (summed over the ranks) is on record per job and noted under the ablation table.
sweep skip_train bad_train skip
sweep skip_val bad_val skip
for name in skip_train skip_val; do
  timeout 300 $MPIRUN -np 3 "$BIN" run "$WORK/$name.yaml" --db "$WORK/skip.db" --ranks-per-job 2 --device cpu \
    > "$WORK/$name.out" 2> "$WORK/$name.err" || { cat "$WORK/$name.err"; fail "$name: the run failed"; }
  "$BIN" results --db "$WORK/skip.db" --sweep "$name" --format json > "$WORK/$name.json"
  [ "$(json_field "$WORK/$name.json" 'rows[0]["status"]')" = done ] || fail "$name: job not done"
done
[ "$(json_field "$WORK/skip_train.json" '(rows[0]["skipped_train"], rows[0]["skipped_test"])')" = "(1, 0)" ] \
  || fail "skip_train: $(json_field "$WORK/skip_train.json" '(rows[0]["skipped_train"], rows[0]["skipped_test"])')"
[ "$(json_field "$WORK/skip_val.json" '(rows[0]["skipped_train"], rows[0]["skipped_test"])')" = "(0, 1)" ] \
  || fail "skip_val: $(json_field "$WORK/skip_val.json" '(rows[0]["skipped_train"], rows[0]["skipped_test"])')"
[ "$(sqlite3 "$WORK/skip.db" "select group_concat(skipped_test) from epoch_results where sweep = 'skip_val'")" = "1,1" ] \
  || fail "skip_val: per-epoch counts not recorded"
"$BIN" report --db "$WORK/skip.db" --sweep skip_val --out "$WORK/report" > "$WORK/report.out"
grep -q "Corrupt images: 1 done job(s) skipped 1 test image(s) in all" "$WORK/report/report.md" \
  || { cat "$WORK/report.out"; fail "the report does not say that a test image was skipped"; }
echo "run_group_rank_failure: ok"
