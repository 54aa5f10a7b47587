#!/usr/bin/env bash
# Issue 15 from the command line: `conformance run --parallel` passes the clean mock on
# every binding, names the clause of each race fault (with the history's timeline in the
# console, Markdown and JUnit), and a sequential run misses every race fault; a fuzz gives
# a share of its duration to parallel cases.
# The embedded mock serves concurrent calls (a pool of 64 threads), so it is the target.
# usage: test_parallel.sh CONFORMANCE MOCK WORK
set -u
conformance=$1 mock=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# 1. The clean mock: no finding over parallel cases on each binding.
for b in api rest jsonrpc; do
  "$conformance" run --target mock --binding "$b" --parallel --sequences 150 --seed 3 >clean-$b.out 2>&1
  rc=$?; [ $rc -eq 0 ] || { cat clean-$b.out; fail "clean mock, $b: exit $rc"; }
  grep -q "^PASSED: no violations" clean-$b.out || fail "clean mock, $b: not PASSED"
  grep -q "^parallel: 150 cases" clean-$b.out || { cat clean-$b.out; fail "clean mock, $b: no parallel summary"; }
done

# 2. Each race fault: caught in parallel mode (its own clause, a timeline naming it, a
#    JUnit failure and a Markdown timeline), missed by a sequential run.
for f in keepalive-cancel-race delete-get-race progress-lost-update; do
  clause=$("$mock" --list-faults | awk -v f="$f" '$1 == f {print $2}')
  [ -n "$clause" ] || fail "no clause for fault $f"
  # A race is timing: a first failure that no re-run confirms (FLAKY) gets one more seed.
  for seed in 2 5; do
    "$conformance" run --target mock --fault "$f" --parallel --sequences 4000 --seed $seed \
      --exit-first --shrink-budget 5 --junit $f.xml --markdown $f.md >$f.out 2>&1
    rc=$?; [ $rc -eq 1 ] || { cat $f.out; fail "$f --parallel: exit $rc, expected 1"; }
    named=$(grep -m1 "^FAILED: " $f.out | awk '{print $2}')
    [ -n "$named" ] && break
    echo "note: $f, seed $seed: $(grep -m1 '^FLAKY' $f.out)"
  done
  # A cancel undone may show first on a later call's state clause, as cancel-stays-active
  # does in sequences (docs/parallel.md): the seed here names the fault's own clause, and
  # any of these symptoms also counts.
  case "$f/$named" in
    "$f/$clause") ;;
    keepalive-cancel-race/cancel.requires_active | keepalive-cancel-race/keep_alive.requires_active | \
      keepalive-cancel-race/fail.requires_active) echo "note: $f named the symptom $named" ;;
    *) cat $f.out; fail "$f --parallel: named '$named', not $clause" ;;
  esac
  clause=$named
  grep -q "<-- $clause" $f.out || { cat $f.out; fail "$f: the timeline does not name $clause"; }
  grep -q "No order of these calls consistent with real time" $f.out || fail "$f: no verdict line"
  grep -q "<failure message=\"$clause: expected" $f.xml || fail "$f: no JUnit failure on $clause"
  grep -q '^```mermaid' $f.md || fail "$f: no Mermaid timeline in the Markdown report"
  grep -q "^gantt" $f.md || fail "$f: the Mermaid block is not a gantt chart"
  "$conformance" run --target mock --fault "$f" --sequences 150 --seed 2 >$f-seq.out 2>&1
  rc=$?; [ $rc -eq 0 ] || { cat $f-seq.out; fail "$f sequential: exit $rc (a race should be missed)"; }
done

# 3. The bound: histories the search cannot decide within --check-bound model steps are
#    NOT CHECKED, and the run is INCOMPLETE (exit 5), never passed.
"$conformance" run --target mock --parallel --sequences 100 --seed 9 --check-bound 10 >bound.out 2>&1
rc=$?; [ $rc -eq 5 ] || { cat bound.out; fail "--check-bound 10: exit $rc, expected 5"; }
grep -q "histories NOT CHECKED" bound.out || { cat bound.out; fail "--check-bound 10: no NOT CHECKED count"; }
grep -q "^PASSED" bound.out && fail "--check-bound 10: PASSED with histories not checked"

# 4. Flags: --branches out of range is a usage error.
"$conformance" run --target mock --parallel --branches 5 >branches.out 2>&1
rc=$?; [ $rc -eq 2 ] || { cat branches.out; fail "--branches 5: exit $rc, expected 2"; }
"$conformance" run --target mock --parallel --regressions . >regr.out 2>&1
rc=$?; [ $rc -eq 2 ] || { cat regr.out; fail "--parallel --regressions: exit $rc, expected 2"; }
grep -q "cannot be combined with --parallel" regr.out || { cat regr.out; fail "--parallel --regressions: no message"; }
"$conformance" run --target mock --parallel --workers 2 >workers.out 2>&1
rc=$?; [ $rc -eq 2 ] || { cat workers.out; fail "--parallel --workers 2: exit $rc, expected 2"; }

# 5. Keep-going: two race faults at once, each named on its own clause in one run (the
#    second found while the first is tolerated); 1000 cases by default.
# A race is timing: a run under load may miss one of them in its 1000 cases (seed 4 here
# finds only delete.removes), so up to three seeds that found both on an idle machine.
for seed in 5 2 6; do
  "$conformance" run --target mock --fault delete-get-race --fault progress-lost-update --parallel \
    --seed $seed --shrink-budget 5 >two.out 2>&1
  rc=$?
  grep -q "^FAILED: 2 clauses violated" two.out && break
  echo "note: two race faults, seed $seed: $(grep -c '^FAILED: [a-z_.]* (' two.out) clause(s) named"
done
[ $rc -eq 1 ] || { cat two.out; fail "two race faults: exit $rc, expected 1"; }
grep -q "^FAILED: 2 clauses violated" two.out || { cat two.out; fail "two race faults: not 2 clauses"; }
for clause in delete.removes keep_alive.sets_progress; do
  grep -q "^FAILED: $clause " two.out || { cat two.out; fail "two race faults: $clause not named"; }
done
grep -q "^parallel: 1000 cases" two.out || { cat two.out; fail "two race faults: the run did not go on to its 1000 cases"; }

# 6. A fuzz gives the last tenth of its duration to parallel cases by default: a race fault
#    the sequences miss is found there (no trace file: a history is not a sequence);
#    --parallel-share 0 leaves them out (the same fuzz then misses it). The fuzz keeps going
#    for its whole duration.
start=$EPOCHREALTIME
"$conformance" fuzz --target mock --fault delete-get-race --duration 6s --seed 3 --traces mix-tr >mix.out 2>&1
rc=$?
took=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%d", e - s }')
[ $rc -eq 1 ] || { cat mix.out; fail "fuzz with the parallel share: exit $rc, expected 1"; }
grep -q "^FAILED: delete.removes" mix.out || { cat mix.out; fail "fuzz with the parallel share: delete.removes not named"; }
grep -q "^parallel: " mix.out || { cat mix.out; fail "fuzz with the parallel share: no parallel summary"; }
[ "$took" -ge 6 ] || { cat mix.out; fail "fuzz with the parallel share: ended after $took s of its 6"; }
[ -z "$(ls mix-tr 2>/dev/null)" ] || fail "fuzz with the parallel share: a trace file for a parallel failure"
"$conformance" fuzz --target mock --fault delete-get-race --duration 3s --seed 3 --parallel-share 0 >noshare.out 2>&1
rc=$?; [ $rc -eq 0 ] || { cat noshare.out; fail "fuzz --parallel-share 0: exit $rc (the race should be missed)"; }
grep -q "^parallel: " noshare.out && fail "fuzz --parallel-share 0: parallel cases ran"
echo "test_parallel: ok"
