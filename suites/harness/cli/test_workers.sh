#!/usr/bin/env bash
# Workers (issue 17, item 1): `conformance run --workers N` against the standalone mock
# without clock control (--session-timeout 2): a clean mock passes; two faults at once are
# each found once on their own clause; many workers of the same users raise no false
# list.owner_only / list.complete (both bindings, JSON-RPC, a variant); Ctrl-C gives exit 5
# at once and leaves no worker behind; a worker that dies is harness.internal (exit 4), not
# a pass; the embedded mock gives the same verdicts for the same seed; workers on a target
# with clock control are refused.
# usage: test_workers.sh CONFORMANCE MOCK EXAMPLES_DIR WORK
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../server_url.sh"
conformance=$1 mock=$2 examples=$3 work=$4
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$work" && cd "$work" && rm -f ./*.out ./*.mock ./*.verdicts || fail "no work directory $work"
pids=()  # the mocks, stopped at the end
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done' EXIT
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
holds() { awk "BEGIN { exit !($1) }"; }
export CONFORMANCE_ALICE_PASSWORD=alice-pass CONFORMANCE_BOB_PASSWORD=bob-pass
profile="$examples/profile-local-mock.json"
# start_mock NAME ARGS...: the standalone mock on the wall clock; sets $url.
start_mock() {
  local name=$1; shift
  "$mock" --port 0 --clock wall --session-timeout 2 --fixtures "$examples/fixtures.json" "$@" >"$name.mock" 2>&1 &
  pids+=($!)
  url=$(server_url "$name.mock" $!) || fail "mock $name did not start"
}
run() { "$conformance" run --target "$url" --profile "$profile" --traces "" "$@"; }

# 1. A clean mock: 3 workers pass with no finding.
start_mock clean
run --workers 3 --sequences 24 --seed 1 >clean.out 2>&1
rc=$?; [ $rc -eq 0 ] || { cat clean.out; fail "clean mock: exit $rc"; }
grep -q '3 workers at once' clean.out || fail "the budget line does not say 3 workers"
grep -q '^PASSED' clean.out || fail "clean mock: not PASSED"
clean_url=$url

# 2. Two faults at once: each found once, on its own clause.
start_mock two --fault list-shows-others --fault delete-noop
run --workers 3 --sequences 40 --seed 1 >two.out 2>&1
rc=$?; [ $rc -eq 1 ] || { cat two.out; fail "two faults: exit $rc, expected 1"; }
for clause in list.owner_only delete.removes; do
  [ "$(grep -c "^FAILED: $clause " two.out)" -eq 1 ] || { grep '^FAILED\|^FLAKY' two.out; fail "two faults: $clause is not one FAILED section"; }
done
grep -q '^FAILED: 2 clauses violated' two.out || { grep '^FAILED\|^FLAKY' two.out; fail "two faults: not exactly two clauses"; }

# 3. Many workers of the same two users: each list shows other workers' sessions of its
#    user, and that is no violation (clean mock: /api, /rest, JSON-RPC; a delete that takes
#    effect later).
url=$clean_url
for binding in api rest jsonrpc; do
  run --workers 8 --sequences 32 --max-steps 20 --seed 2 --binding "$binding" >many-$binding.out 2>&1
  rc=$?; [ $rc -eq 0 ] || { grep '^FAILED\|^FLAKY\|VIOLATION' many-$binding.out | head; fail "8 workers, $binding: exit $rc"; }
  grep -qE '^  passed +[1-9][0-9]*  list.owner_only' many-$binding.out || fail "8 workers, $binding: list.owner_only never checked"
done
# (The deferred delete breaks delete.removes under this profile's 0.5 s grace: left out.)
start_mock deferred --variant delete-effect=deferred
run --workers 8 --sequences 32 --max-steps 20 --seed 2 --exclude delete.removes >deferred.out 2>&1
rc=$?; [ $rc -eq 0 ] || { grep '^FAILED\|^FLAKY\|VIOLATION' deferred.out | head; fail "8 workers, delete-effect=deferred: exit $rc"; }

# 4. Ctrl-C: exit 5 (INCOMPLETE) at once, and no worker left behind.
url=$clean_url
t0=$EPOCHREALTIME
timeout --preserve-status -s INT 2 "$conformance" run --target "$url" --profile "$profile" \
  --workers 3 --sequences 10000000 --traces "" --junit int-workers-$$.xml >int.out 2>&1
rc=$?; took=$(elapsed "$t0")
[ $rc -eq 5 ] || { cat int.out; fail "interrupted: exit $rc, expected 5"; }
holds "$took < 3.2" || fail "SIGINT took $took s to end the run"
grep -q '^INCOMPLETE' int.out || fail "interrupted: not INCOMPLETE"
sleep 0.3
pgrep -f "int-workers-$$.xml" >/dev/null && fail "a worker outlived the interrupted run"

# 5. A worker that dies is an internal error (exit 4), never a pass.
"$conformance" run --target "$url" --profile "$profile" --workers 2 --sequences 10000000 \
  --traces "" >killed.out 2>&1 &
pid=$!
child=
for _ in $(seq 60); do child=$(pgrep -P $pid | head -1); [ -n "$child" ] && break; sleep 0.05; done
[ -n "$child" ] || fail "no worker process"
sleep 1
kill -KILL "$child"
wait $pid; rc=$?
[ $rc -eq 4 ] || { tail -5 killed.out; fail "a killed worker: exit $rc, expected 4"; }
grep -q 'harness.internal' killed.out || fail "a killed worker: not harness.internal"
grep -q 'PASSED' killed.out && fail "a killed worker: PASSED"

# 6. The embedded mock (a mock of its own per worker): the same seed, the same verdicts.
for i in 1 2; do
  "$conformance" run --target mock --workers 3 --fault list-shows-others --fault delete-noop \
    --seed 5 --sequences 100 --traces "" >embedded-$i.out 2>&1
  [ $? -eq 1 ] || fail "embedded mock, workers: not exit 1"
  grep -E '^FAILED|^[0-9]+ sequences|minimal sequence' embedded-$i.out | sed 's/, [0-9.]* s;/;/; s/ in [0-9.]* s.*//' >embedded-$i.verdicts
done
cmp -s embedded-1.verdicts embedded-2.verdicts || { diff embedded-1.verdicts embedded-2.verdicts; fail "embedded mock: verdicts differ between two runs of one seed"; }
grep -q '^FAILED: 2 clauses violated' embedded-1.out || fail "embedded mock: not two clauses"

# 7. A URL target with clock control is reset between sequences: workers are refused.
"$mock" --port 0 --clock virtual --session-timeout 2 --fixtures "$examples/fixtures.json" >virtual.mock 2>&1 &
pids+=($!)
vurl=$(server_url virtual.mock $!) || fail "the virtual-clock mock did not start"
sed "s|\"binding\": \"api\",|\"binding\": \"api\", \"clock_control\": \"$vurl/mock/v1\",|" "$profile" >virtual-profile.json
"$conformance" run --target "$vurl" --profile virtual-profile.json --workers 2 --traces "" >virtual.out 2>&1
rc=$?; [ $rc -eq 2 ] || { cat virtual.out; fail "workers with clock control: exit $rc, expected 2"; }
grep -q 'workers would reset each other' virtual.out || fail "workers with clock control: no reason given"
echo "PASS: workers"
