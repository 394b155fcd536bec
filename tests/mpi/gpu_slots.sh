#!/usr/bin/env bash
# The one-rank-per-GPU check as a collective across real ranks (no GPU needed: without CUDA it
# compares the device indices the ranks would use, with CUDA their GPUs' PCI bus ids): under
# mpirun -np 3 every rank must refuse three ranks on cuda:0 of this host, naming ranks 0 and 1,
# and accept cuda:0, cuda:1, cuda:2.
source "$(dirname "$0")/common.sh"
TESTS=$(dirname "$BIN")/tests/worker_tests
[ -x "$TESTS" ] || fail "no $TESTS (build the tests first)"
$MPIRUN -np 3 "$TESTS" --gtest_color=no --gtest_filter='GpuSlots.RefusedByEveryRankOfTheWorld' > "$WORK/out" 2>&1 \
  || { cat "$WORK/out"; fail "a rank failed the check"; }
[ "$(grep -c '\[  PASSED  \] 1 test' "$WORK/out")" = 3 ] || { cat "$WORK/out"; fail "not every rank passed"; }
echo "gpu_slots: ok (3 ranks)"
