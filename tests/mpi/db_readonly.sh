#!/usr/bin/env bash
# A read-only results database: `metasweep run` gives one clear line on stderr, exits 1 or 2 and
# writes nothing (the file's bytes are unchanged); `status` and `results` still read it.
# Three cases: the file read-only in a read-only folder, the file read-only in a writable folder,
# and a writable file in a read-only folder (SQLite's WAL and the run lock need the folder).
# Tests run as root, which ignores file modes, so the run then drops to user nobody (setpriv).
source "$(dirname "$0")/common.sh"
as_user=()
if [ "$(id -u)" = 0 ]; then
  command -v setpriv > /dev/null || { echo "db_readonly: skipped (root without setpriv)"; exit 77; }
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  chmod 755 "$WORK"
fi
cat > "$WORK/sweep.yaml" <<YAML
name: ro
base:
  task: {dataset: fashion-mnist, train_subset: 256, test_subset: 128, epochs: 1, batch_size: 64}
  model: {depths: [1, 1], dims: [8, 16], drop_path: 0.0, stem: {kernel: 3, stride: 2, padding: 1}}
seeds: [0]
YAML
sed 's/^name: ro/name: ro2/; s/seeds: \[0\]/seeds: [5]/' "$WORK/sweep.yaml" > "$WORK/other.yaml"
chmod 644 "$WORK"/*.yaml

check_refused() {  # check_refused CASE DB SWEEP
  local label=$1 db=$2 sweep=$3 sum code
  sum=$(md5sum < "$db")
  set +e
  "${as_user[@]}" "$BIN" run "$sweep" --db "$db" --device cpu > "$WORK/out" 2> "$WORK/err"
  code=$?
  set -e
  { [ $code = 1 ] || [ $code = 2 ]; } || { cat "$WORK/err"; fail "$label: run exited $code, expected 1 or 2"; }
  [ "$(wc -l < "$WORK/err")" = 1 ] || { cat "$WORK/err"; fail "$label: expected exactly one line on stderr"; }
  grep -qi "read-only\|readonly\|permission denied" "$WORK/err" || { cat "$WORK/err"; fail "$label: unclear error"; }
  grep -q "$db" "$WORK/err" || { cat "$WORK/err"; fail "$label: the error does not name the database"; }
  [ "$(md5sum < "$db")" = "$sum" ] || fail "$label: the database file changed"
  [ ! -s "$db-wal" ] || fail "$label: a write-ahead log was written"
  [ "$(sqlite3 "$db" "pragma integrity_check")" = ok ] || fail "$label: integrity_check failed"
  [ "$(sqlite3 "$db" "select count(*) from sweeps")" = 1 ] || fail "$label: a sweep was registered"
  "${as_user[@]}" "$BIN" status --db "$db" > "$WORK/status" 2>&1 || { cat "$WORK/status"; fail "$label: status failed"; }
  echo "$label: exit $code: $(cat "$WORK/err")"
}

# A finished sweep to protect.
mkdir "$WORK/a" "$WORK/b" "$WORK/c"
"$BIN" run "$WORK/sweep.yaml" --db "$WORK/a/r.db" --device cpu > /dev/null 2> "$WORK/err0" \
  || { cat "$WORK/err0"; fail "setup run failed"; }
rm -rf "$WORK/a/r.db.checkpoints" "$WORK/a/r.db.lock"
cp "$WORK/a/r.db" "$WORK/b/r.db"
cp "$WORK/a/r.db" "$WORK/c/r.db"

# 1. read-only file in a read-only folder.
chmod 444 "$WORK/a/r.db"
chmod 555 "$WORK/a"
check_refused "read-only folder" "$WORK/a/r.db" "$WORK/sweep.yaml"
check_refused "read-only folder, new sweep" "$WORK/a/r.db" "$WORK/other.yaml"
chmod 755 "$WORK/a"

# 2. read-only file in a folder the user may write.
chmod 444 "$WORK/b/r.db"
chmod 1777 "$WORK/b"
check_refused "read-only file" "$WORK/b/r.db" "$WORK/sweep.yaml"
check_refused "read-only file, new sweep" "$WORK/b/r.db" "$WORK/other.yaml"

# 3. a writable file in a read-only folder (no room for the WAL's files or the run lock).
chmod 666 "$WORK/c/r.db"
chmod 555 "$WORK/c"
check_refused "read-only folder, writable file" "$WORK/c/r.db" "$WORK/other.yaml"
echo "db_readonly: ok"
