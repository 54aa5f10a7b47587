#!/usr/bin/env bash
# The kill matrix without reset, as a bounded test: a few faults (one about each of cleanup,
# ownership, the lease both ways, a state effect) against the mock on the wall clock with a
# 2 s session timeout and no clock control, both bindings, seed 1: each must be caught on its
# own clause. The whole matrix is scripts/kill-matrix --wall-clock (docs/kill-matrix-wall-clock.md).
#   test_kill_matrix_wall_clock.sh KILL_MATRIX_BINARY WORKDIR
set -uo pipefail
tool=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
fail=0
"$tool" --wall-clock 2 --seeds 1 --no-pairs --clean-seeds 0 --binding api --binding rest \
  --fault delete-noop --fault list-shows-others --fault never-expire --fault early-expiry \
  --fault cancel-stays-active --out "$work/matrix.md" 2>"$work/matrix.log"
rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: wall-clock kill matrix exited $rc (expected 0: every mutant killed)"; cat "$work/matrix.log"; fail=1
fi
grep -q 'Kill rate: 10/10 runs (100.0%)' "$work/matrix.md" \
  || { echo "FAIL: not 10/10 killed"; grep 'Kill rate' "$work/matrix.md"; fail=1; }
grep -q 'no clock control' "$work/matrix.md" || { echo "FAIL: the document does not say wall clock"; fail=1; }
# One sequence of one step cannot create and cancel: the mutant survives, exit 1.
"$tool" --wall-clock 2 --seeds 1 --no-pairs --clean-seeds 0 --binding api --fault cancel-stays-active \
  --sequences 1 --max-steps 1 --out "$work/survivor.md" 2>"$work/survivor.log"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: a survivor gave exit $rc, expected 1"; cat "$work/survivor.log"; fail=1; }
exit $fail
