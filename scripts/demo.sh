#!/usr/bin/env bash
# `make demo`: plans and runs the small real ablation study in sweeps/demo.yaml on Fashion-MNIST
# (under mpirun when it is installed: rank 0 coordinates, two single-rank worker groups train),
# writes the report and prints the ablation table. Re-running resumes where it stopped.
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/metasweep
OUT=${DEMO_OUT:-demo-out}
DB=$OUT/demo.db
mkdir -p "$OUT"

echo "== plan: sweeps/demo.yaml"
"$BIN" plan sweeps/demo.yaml

echo
echo "== run (results in $DB; interrupt and re-run to resume)"
if command -v mpirun >/dev/null 2>&1; then
  # root in containers needs these; harmless otherwise
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  cores=$(nproc)
  workers=$(( cores >= 2 ? cores : 1 ))
  mpirun --oversubscribe --bind-to none -np $((workers + 1)) "$BIN" run sweeps/demo.yaml --db "$DB" --device cpu
else
  "$BIN" run sweeps/demo.yaml --db "$DB" --device cpu
fi

echo
echo "== report: the ablation table (mean ± std over seeds, Δ vs baseline, paired t-test)"
"$BIN" report --db "$DB" --sweep demo --out "$OUT/report"
echo
echo "open $OUT/report/report.html for the plots; query with: $BIN results --db $DB --sweep demo --help"
