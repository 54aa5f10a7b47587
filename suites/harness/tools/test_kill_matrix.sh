#!/usr/bin/env bash
# The mutant kill matrix as a test: every single fault and the 21 pairs of seven faults
# are killed (the run fails and names the fault's clause) on /api, seed 1, with the
# default run (shrinking on), and every single fault again under random mock variants;
# with CONFORMANCE_QUICK set, the pairs are left out.
# (Registered in the default build only: the ASan build tests every single fault in
# harness_tests' engine_runs.) The full matrix (10 seeds, both bindings, clean runs) is
# scripts/kill-matrix, and the clean-mock 20-seed check is engine_runs in harness_tests.
# Then the check itself: a budget too small to catch anything must be reported as a
# survivor with exit 1 and "SURVIVED" in the document.
#   test_kill_matrix.sh KILL_MATRIX_BINARY WORKDIR
set -uo pipefail
tool=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
fail=0

"$tool" --seeds 1 --clean-seeds 0 --binding api --no-pairs --out "$work/matrix.md" 2>"$work/matrix.log"
rc=$?
if [ $rc -ne 0 ]; then
  echo "FAIL: kill matrix exited $rc (expected 0: every mutant killed)"; grep -v 'killed 1/1' "$work/matrix.log"; fail=1
fi
grep -q 'Kill rate: \([0-9]*\)/\1 runs (100.0%)' "$work/matrix.md" \
  || { echo "FAIL: the document does not show a 100% kill rate"; grep 'Kill rate' "$work/matrix.md"; fail=1; }
if grep -q SURVIVED "$work/matrix.md"; then echo "FAIL: a survivor in the document"; fail=1; fi

# Pairs: the 21 pairs of seven faults that act on different clauses and states (all 210
# pairs are scripts/kill-matrix's, docs/kill-matrix.md: minutes, not for CI).
if [ -z "${CONFORMANCE_QUICK:-}" ]; then
  pair_faults=()
  for f in cancel-stays-active delete-noop list-shows-others keepalive-drops-progress \
           fail-loses-message create-unknown-item-ok never-expire; do pair_faults+=(--fault "$f"); done
  "$tool" --seeds 1 --clean-seeds 0 --binding api "${pair_faults[@]}" --out "$work/pairs.md" 2>"$work/pairs.log"
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: kill matrix of pairs exited $rc"; grep -v 'killed 1/1' "$work/pairs.log"; fail=1; }
  pairs=$(grep -c '^| `[a-z0-9-]*` + `[a-z0-9-]*` | api' "$work/pairs.md")
  echo "kill matrix: $pairs pairs"
  [ "$pairs" -eq 21 ] || { echo "FAIL: $pairs pair rows, expected 21"; fail=1; }
  grep -q SURVIVED "$work/pairs.md" && { echo "FAIL: a survivor among the pairs"; fail=1; }
fi
rows=$(grep -c '^| `' "$work/matrix.md")
faults=$(grep -c '^| `[a-z0-9-]*` | api' "$work/matrix.md")
echo "kill matrix: $rows rows ($faults single faults)"
[ "$faults" -ge 15 ] || { echo "FAIL: only $faults single-fault rows"; fail=1; }

# The JSON-RPC binding: every single fault that acts on it (the store's and the rpc-* ones)
# is killed on its own clause, and the clean mock passes; no pairs (seconds, not minutes).
"$tool" --seeds 1 --no-pairs --clean-seeds 1 --binding jsonrpc --out "$work/jsonrpc.md" 2>"$work/jsonrpc.log"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: kill matrix on jsonrpc exited $rc"; grep -v 'killed 1/1' "$work/jsonrpc.log"; fail=1; }
rpc_rows=$(grep -c '^| `[a-z0-9-]*` | jsonrpc' "$work/jsonrpc.md")
rpc_only=$(grep -c '^| `rpc-[a-z0-9-]*` | jsonrpc' "$work/jsonrpc.md")
echo "kill matrix on jsonrpc: $rpc_rows single faults ($rpc_only of the JSON-RPC encoding)"
[ "$rpc_rows" -ge 25 ] && [ "$rpc_only" -ge 9 ] || { echo "FAIL: too few jsonrpc rows"; fail=1; }
if grep -q '^| `rpc-[a-z0-9-]*` | \(api\|rest\)' "$work/matrix.md"; then
  echo "FAIL: a JSON-RPC fault was run on a REST binding"; fail=1
fi

# One sequence of one step cannot reach a prepared file: the mutant survives.
"$tool" --fault file-prepare-stuck --seeds 1 --no-pairs --clean-seeds 0 --binding api \
  --sequences 1 --max-steps 1 --out "$work/survivor.md" 2>"$work/survivor.log"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: a survivor gave exit $rc, expected 1"; fail=1; }
grep -q 'SURVIVED' "$work/survivor.md" || { echo "FAIL: survivor not marked"; fail=1; }

# Under random behaviour variants (conforming at the default strictness) every single fault
# is still killed on its own clause, and the clean mock under variants passes.
"$tool" --seeds 1 --no-pairs --clean-seeds 2 --binding api --random-variants \
  --out "$work/variants.md" 2>"$work/variants.log"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: kill matrix under random variants exited $rc"; grep -v 'killed 1/1' "$work/variants.log"; fail=1; }
grep -q '^## Variants drawn' "$work/variants.md" || { echo "FAIL: the variants drawn are not listed"; fail=1; }
grep -q '^- `[a-z0-9-]*` on api, seed 1: [a-z]' "$work/variants.md" \
  || { echo "FAIL: no variant draw listed for a fault"; fail=1; }

# Bad flags: exit 2 with a message naming the problem.
"$tool" --fault no-such-fault --out "$work/x.md" 2>"$work/bad.log"
rc=$?
[ $rc -eq 2 ] && grep -q "unknown fault 'no-such-fault'" "$work/bad.log" \
  || { echo "FAIL: unknown fault gave exit $rc: $(cat "$work/bad.log")"; fail=1; }
exit $fail
