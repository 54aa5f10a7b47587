#!/usr/bin/env bash
# The CLI's reports under stress: a failing run writes valid JUnit and a trace that
# replay reproduces; --regressions replays it first; an interrupted fuzz run and a
# run whose target dies mid-way still leave valid JUnit files.
# usage: test_reports_cli.sh CONFORMANCE MOCK VALIDATE_SH SCHEMA_DIR EXAMPLES_DIR WORK
set -u
conformance=$1 mock=$2 validate=$3 schemas=$4 examples=$5 work=$6
rm -rf "$work" && mkdir -p "$work/xml" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT

# 1. A failing run: exit 1, JUnit + Markdown + trace.
"$conformance" run --fault delete-noop --seed 4 --junit xml/failing.xml --markdown failing.md --traces tr >run.out 2>&1
rc=$?; [ $rc -eq 1 ] || { cat run.out; fail "failing run: exit $rc, expected 1"; }
grep -q '<failure' xml/failing.xml || fail "no <failure> in the JUnit file"
grep -q 'delete.removes' failing.md || fail "the Markdown summary does not name the clause"
trace=$(ls tr/*.json 2>/dev/null | head -1); [ -n "$trace" ] || fail "no trace saved"

# 2. Replay: still fails against the faulty mock, fixed against the clean one.
"$conformance" replay "$trace" >replay1.out 2>&1
rc=$?; [ $rc -eq 1 ] && grep -q "still fails" replay1.out || { cat replay1.out; fail "replay against the fault: exit $rc"; }
"$conformance" replay --target mock "$trace" >replay2.out 2>&1
rc=$?; [ $rc -eq 0 ] && grep -q "fixed" replay2.out || { cat replay2.out; fail "replay against the clean mock: exit $rc"; }

# 3. Regressions are replayed before the run.
"$conformance" run --fault delete-noop --seed 5 --sequences 5 --regressions tr --traces tr2 >reg.out 2>&1
grep -q "still fails: $trace" reg.out || { cat reg.out; fail "--regressions did not replay the trace"; }
"$conformance" run --seed 5 --sequences 5 --regressions tr >reg2.out 2>&1
rc=$?; [ $rc -eq 0 ] && grep -q "fixed: $trace" reg2.out || { cat reg2.out; fail "--regressions on the clean mock: exit $rc"; }

# 4. Ctrl-C during fuzzing: exit 5 (incomplete, never a pass) with a complete JUnit file.
"$conformance" fuzz --duration 10m --seed 1 --junit xml/interrupted.xml >fuzz.out 2>&1 &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?; [ $rc -eq 5 ] || { cat fuzz.out; fail "interrupted fuzz: exit $rc, expected 5"; }
grep -q "INCOMPLETE" fuzz.out || fail "the summary does not say the run is incomplete"
grep -q "PASSED" fuzz.out && fail "an interrupted run says PASSED"
[ -s xml/interrupted.xml ] || fail "no JUnit after Ctrl-C"

# 5. The target dies mid-run: findings, exit 1, a valid JUnit file.
export CONFORMANCE_ALICE_PASSWORD=alice-pass CONFORMANCE_BOB_PASSWORD=bob-pass
"$mock" --port 0 --clock wall --session-timeout 2 --fixtures "$examples/fixtures.json" >mock.out 2>&1 &
mpid=$!; pids+=($mpid)
for _ in $(seq 100); do url=$(grep -o 'http://[0-9.:]*' mock.out | head -1); [ -n "$url" ] && break; sleep 0.05; done
[ -n "$url" ] || fail "mock did not start"
"$conformance" run --target "$url" --profile "$examples/profile-local-mock.json" --seed 2 --sequences 500 \
  --no-shrink --junit xml/target-died.xml >died.out 2>&1 &
pid=$!
sleep 2
kill -9 $mpid
wait $pid
rc=$?; [ $rc -eq 1 ] || { cat died.out; fail "target died: exit $rc, expected 1"; }
grep -q "no HTTP answer" died.out || { cat died.out; fail "the transport failure is not reported"; }
ls *.tmp xml/*.tmp 2>/dev/null && fail "a temporary report file was left behind"

# Every JUnit file written above is valid against both schemas.
bash "$validate" xmllint "$schemas" xml "$work/validate"
