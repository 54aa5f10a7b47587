#!/usr/bin/env bash
# Issue 18 from the command line: a run keeps going and lists every broken clause
# (five mock faults at once: five failures, each with its own minimal sequence, in the
# console, JUnit and Markdown); --exit-first / --max-failures; an interrupted run is
# INCOMPLETE (never PASSED) and stops within a second on SIGINT or SIGTERM; paths and
# flags are checked before the first call; `doctor` names the profile field at fault;
# --include/--exclude; fuzz keeps going.
# usage: test_keep_going.sh CONFORMANCE MOCK EXAMPLES_DIR WORK
set -u
conformance=$1 mock=$2 examples=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT
# Seconds with bash 5's EPOCHREALTIME and awk: no bc (not in a minimal Debian; issue 16).
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
holds() { awk "BEGIN { exit !($1) }"; }

# 1. Five faults at once: five distinct failing clauses, each with its own minimal
#    sequence, trace file and JUnit failure; each is the clause its fault breaks.
faults="fail-loses-message list-shows-others create-unknown-item-ok keepalive-drops-progress wrong-error-type"
args=(); for f in $faults; do args+=(--fault "$f"); done
"$conformance" run --target mock "${args[@]}" --seed 1 --junit five.xml --markdown five.md --traces tr >five.out 2>&1
rc=$?; [ $rc -eq 1 ] || { cat five.out; fail "five faults: exit $rc, expected 1"; }
for f in $faults; do
  clause=$("$mock" --list-faults | awk -v f="$f" '$1 == f {print $2}')
  [ -n "$clause" ] || fail "no clause for fault $f"
  [ "$(grep -c "^FAILED: $clause " five.out)" -eq 1 ] || { cat five.out; fail "console: $clause is not one FAILED section"; }
  [ "$(grep -c "<failure message=\"$clause: expected" five.xml)" -eq 1 ] || fail "JUnit: no failure of its own for $clause"
  [ "$(grep -c "^### Failure: \`$clause\`" five.md)" -eq 1 ] || fail "Markdown: no section for $clause"
  ls tr/"$clause"-*.json >/dev/null 2>&1 || fail "no trace file for $clause"
done
[ "$(grep -c '^FAILED: ' five.out)" -eq 6 ] || { grep '^FAILED' five.out; fail "console: not exactly five failures (+ the verdict line)"; }
grep -q '^FAILED: 5 clauses violated' five.out || fail "console: no verdict line"
[ "$(grep -c 'minimal sequence (' five.out)" -eq 5 ] || fail "console: not five minimal sequences"
[ "$(grep -c '<failure ' five.xml)" -eq 5 ] || fail "JUnit: not five <failure>s"
[ "$(grep -c 'minimal sequence of' five.md)" -eq 5 ] || fail "Markdown: not five minimal sequences"
[ "$(ls tr/*.json | wc -l)" -eq 5 ] || fail "not five trace files"
# The console shows each clause's summary and the failing call as curl, without secrets.
[ "$(grep -c '^  clause:   ' five.out)" -eq 5 ] || fail "console: a failure without its clause's summary"
[ "$(grep -c 'curl -sS -i -X ' five.out)" -eq 5 ] || fail "console: a failure without its curl command"
grep -q 'CONFORMANCE_SESSION_TOKEN' five.out || fail "console: the curl command does not take the token from the environment"
grep -qE 'alice-pass|bob-pass' five.out five.xml five.md tr/*.json && fail "a password was written out"
# Each trace replays: it still fails against the same faults.
for t in tr/*.json; do
  "$conformance" replay "$t" >replay.out 2>&1; rc=$?
  [ $rc -eq 1 ] || { cat replay.out; fail "replay $t: exit $rc, expected 1"; }
done

# 2. --exit-first keeps the old behaviour; --max-failures N stops at N clauses.
"$conformance" run --target mock "${args[@]}" --seed 1 --exit-first --traces "" >first.out 2>&1
rc=$?; [ $rc -eq 1 ] || fail "--exit-first: exit $rc"
[ "$(grep -c 'minimal sequence (' first.out)" -eq 1 ] || fail "--exit-first: not one failure"
"$conformance" run --target mock "${args[@]}" --seed 1 --max-failures 2 --traces "" >two.out 2>&1
[ "$(grep -c 'minimal sequence (' two.out)" -eq 2 ] || fail "--max-failures 2: not two failures"

# 3. Ctrl-C (as `timeout` sends it): exit non-zero, every report INCOMPLETE, at once.
t0=$(now)
timeout --preserve-status -s INT 2 "$conformance" run --target mock --sequences 10000000 \
  --junit int.xml --markdown int.md >int.out 2>&1
rc=$?; took=$(elapsed "$t0")
[ $rc -eq 5 ] || { cat int.out; fail "interrupted run: exit $rc, expected 5"; }
holds "$took < 3.2" || fail "SIGINT took $took s to end the run"
grep -q '^INCOMPLETE' int.out || fail "console: not INCOMPLETE"
grep -q 'PASSED' int.out && fail "console: an interrupted run says PASSED"
grep -q 'name="verdict" value="INCOMPLETE"' int.xml || fail "JUnit: not INCOMPLETE"
grep -q '<error message="INCOMPLETE' int.xml || fail "JUnit: no <error> for the incomplete run"
grep -q 'INCOMPLETE' int.md || fail "Markdown: not INCOMPLETE"

# 4. SIGTERM during a wall-clock run (sleeps of up to 2.7 s): ends within a second.
export CONFORMANCE_ALICE_PASSWORD=alice-pass CONFORMANCE_BOB_PASSWORD=bob-pass
"$mock" --port 0 --clock wall --session-timeout 2 --fixtures "$examples/fixtures.json" >mock.out 2>&1 &
pids+=($!)
for _ in $(seq 100); do url=$(grep -o 'http://[0-9.:]*' mock.out | head -1); [ -n "$url" ] && break; sleep 0.05; done
[ -n "$url" ] || fail "mock did not start"
profile="$examples/profile-local-mock.json"
"$conformance" run --target "$url" --profile "$profile" --sequences 1000 --junit term.xml >term.out 2>&1 &
pid=$!
sleep 3
t0=$(now); kill -TERM $pid; wait $pid; rc=$?; took=$(elapsed "$t0")
[ $rc -eq 5 ] || { cat term.out; fail "SIGTERM: exit $rc, expected 5"; }
holds "$took < 1" || fail "SIGTERM took $took s"
grep -q 'value="INCOMPLETE"' term.xml || fail "SIGTERM: JUnit not written as INCOMPLETE"

# 5. Seed, target and budget come first.
head -1 term.out | grep -q "target $url, binding api, seed [0-9]*, budget 1000 passing sequences" ||
  { head -1 term.out; fail "the first line does not give seed, target and budget"; }

# 6. Checked before the first call (the target below does not exist: exit 2, not 3).
dead=http://127.0.0.1:1
check_usage() {  # expected-message args...
  local want=$1; shift
  "$conformance" "$@" >usage.out 2>&1; local rc=$?
  [ $rc -eq 2 ] || { cat usage.out; fail "$*: exit $rc, expected 2"; }
  grep -q -- "$want" usage.out || { cat usage.out; fail "$*: the message does not say '$want'"; }
}
check_usage "directory /nonexistent does not exist" run --target $dead --profile "$profile" --junit /nonexistent/x.xml
check_usage "directory /nonexistent does not exist" run --target $dead --profile "$profile" --markdown /nonexistent/x.md
check_usage "not a directory" run --target $dead --profile "$profile" --regressions /nonexistent
check_usage "not a directory" run --target $dead --profile "$profile" --traces "$profile"
check_usage "neither 'mock' nor an http:// or https:// URL" run --target ftp://example.com --profile "$profile"
check_usage "from 0 to 18446744073709551615" run --seed -5
check_usage "not in range 1 to 10000000" run --sequences 0
check_usage "not in range 1 to 10000" run --max-steps 100000
check_usage "matches no clause id and no operation" run --include 'no.such.*'
# A target that does not answer: exit 3, naming the URL, with a hint.
"$conformance" doctor --target $dead --profile "$profile" >dead.out 2>&1; rc=$?
[ $rc -eq 3 ] || { cat dead.out; fail "doctor, dead target: exit $rc"; }
grep -q "$dead.*is the server running" dead.out || { cat dead.out; fail "no URL and hint"; }

# 7. doctor: ok against the mock; each profile mistake names its field (exit 2 or 3).
"$conformance" doctor --target "$url" --profile "$profile" >doc.out 2>&1
rc=$?; [ $rc -eq 0 ] || { cat doc.out; fail "doctor on a good profile: exit $rc"; }
python3 - "$profile" "$url" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
items = p["instances"]["LibraryItem"]
items[0]["id"] = "11111111-2222-4333-8444-000000000000"
items[1]["members"] = ["tools.iso", "no-such-file.iso"]
p["session_timeout_seconds"] = 300
json.dump(p, open("bad-items.json", "w"))
p = json.load(open(sys.argv[1]))
p["clock_control"] = sys.argv[2]  # without its /mock/v1 path
json.dump(p, open("bad-clock.json", "w"))
PY
"$conformance" doctor --target "$url" --profile bad-items.json >doc2.out 2>&1
rc=$?; [ $rc -eq 2 ] || { cat doc2.out; fail "doctor, bad items: exit $rc"; }
for field in /instances/LibraryItem/0/id /instances/LibraryItem/1/members/1 /session_timeout_seconds; do
  grep -q "configuration error: profile bad-items.json $field:" doc2.out || { cat doc2.out; fail "doctor does not name $field"; }
done
"$conformance" doctor --target "$url" --profile bad-clock.json >doc3.out 2>&1
rc=$?; [ $rc -eq 2 ] && grep -q "bad-clock.json /clock_control: .*mock/v1" doc3.out || { cat doc3.out; fail "doctor, clock control: exit $rc"; }
CONFORMANCE_BOB_PASSWORD=wrong "$conformance" doctor --target "$url" --profile "$profile" >doc4.out 2>&1
rc=$?; [ $rc -eq 3 ] && grep -q "/users/1: login of user 'bob' failed" doc4.out || { cat doc4.out; fail "doctor, bad password: exit $rc"; }
grep -q wrong doc4.out && fail "the password was printed"
# run does the same preflight: a configuration error, not a violation.
"$conformance" run --target "$url" --profile bad-items.json >run-bad.out 2>&1
rc=$?; [ $rc -eq 2 ] || { cat run-bad.out; fail "run with a bad profile: exit $rc, expected 2"; }
grep -q FAILED run-bad.out && fail "a profile mistake reported as a violation"

# 8. --exclude: the fault's clause left out is skipped with its reason; the run passes.
"$conformance" run --target mock --fault list-shows-others --exclude 'list.owner_*' --seed 2 --sequences 60 \
  --junit sel.xml --markdown sel.md >sel.out 2>&1
rc=$?; [ $rc -eq 0 ] || { cat sel.out; fail "--exclude of the broken clause: exit $rc"; }
grep -q "skipped .*list.owner_only (left out by --exclude 'list.owner_\*')" sel.out || fail "console: no reason"
grep -q "<skipped message=\"left out by --exclude 'list.owner_\*'\"" sel.xml || fail "JUnit: no reason"
grep -q 'skipped: left out by --exclude' sel.md || fail "Markdown: no reason"

# 9. fuzz keeps going for its whole duration, through its failures.
t0=$(now)
"$conformance" fuzz --target mock --fault list-shows-others --fault create-unknown-item-ok --duration 3s --seed 1 \
  --traces "" >fuzz.out 2>&1
rc=$?; took=$(elapsed "$t0")
[ $rc -eq 1 ] || { cat fuzz.out; fail "fuzz: exit $rc"; }
holds "$took >= 3" || fail "fuzz stopped after $took s, before its duration"
[ "$(grep -c 'minimal sequence (' fuzz.out)" -eq 2 ] || fail "fuzz: not both failures"
echo "ok"
