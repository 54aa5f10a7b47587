#!/usr/bin/env bash
# A run over real HTTP against a separately started mock, in wall-clock mode, with
# a 2 s session timeout, configured only by a profile file (examples/). It must
# pass on the clean mock, fail on the mock's never-expire fault, and go on after the
# lease probe's failure.
# usage: test_wall_clock.sh MOCK CONFORMANCE EXAMPLES_DIR WORK_DIR
set -u
mock=$1 conformance=$2 examples=$3 work=$4
mkdir -p "$work"
export CONFORMANCE_ALICE_PASSWORD=alice-pass CONFORMANCE_BOB_PASSWORD=bob-pass
# start_mock runs in a command substitution (a subshell): it records its server's pid
# in a file, so that the cleanup can stop every server it started.
pidfile="$work/mock-pids"
: >"$pidfile"
cleanup() { while read -r p; do kill "$p" 2>/dev/null; done <"$pidfile"; }
trap cleanup EXIT

start_mock() {  # prints the URL
  local out="$work/mock-$RANDOM.out"
  "$mock" --port 0 --clock wall --session-timeout 2 --fixtures "$examples/fixtures.json" "$@" >"$out" 2>&1 &
  echo $! >>"$pidfile"
  for _ in $(seq 100); do
    url=$(grep -o 'http://[0-9.:]*' "$out" | head -1)
    [ -n "$url" ] && { echo "$url"; return 0; }
    sleep 0.05
  done
  echo "mock did not start: $(cat "$out")" >&2
  return 1
}

fail() { echo "FAIL: $*"; exit 1; }

url=$(start_mock) || exit 1
"$conformance" run --target "$url" --profile "$examples/profile-local-mock.json" --seed 1 --sequences 12 \
  --max-steps 12 >"$work/clean.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$work/clean.out"; fail "clean mock in wall-clock mode: exit $rc, expected 0"; }
grep -q "PASSED" "$work/clean.out" || fail "no PASSED line"
grep -q "alice-pass" "$work/clean.out" && fail "a password was printed"

# Items without file names (members): the harness discovers them (create, File.list, delete).
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); [i.pop("members") for i in p["instances"]["LibraryItem"]]; json.dump(p, open(sys.argv[2], "w"))' \
  "$examples/profile-local-mock.json" "$work/no-files.json" || fail "could not write the profile"
"$conformance" run --target "$url" --profile "$work/no-files.json" --seed 2 --sequences 5 --max-steps 8 \
  >"$work/discover.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$work/discover.out"; fail "profile without file names: exit $rc, expected 0"; }

url=$(start_mock --fault never-expire) || exit 1
# (--exit-first: going on for the other 36 sequences would cost ~16 s of sleeps.)
"$conformance" run --target "$url" --profile "$examples/profile-local-mock.json" --seed 1 --sequences 40 \
  --max-steps 12 --no-shrink --exit-first >"$work/fault.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$work/fault.out"; fail "never-expire in wall-clock mode: exit $rc, expected 1"; }
grep -q "FAILED: lease.expires_after_timeout" "$work/fault.out" || { cat "$work/fault.out"; fail "wrong clause"; }

# The lease probe's failure joins keep-going (it used to end the searches, after 35
# sequences at this seed): early-expiry, which the background probe finds at half the
# timeout, and keepalive-drops-progress, which the sequences find after 77 passing ones,
# are both named in one run.
url=$(start_mock --fault early-expiry --fault keepalive-drops-progress) || exit 1
"$conformance" run --target "$url" --profile "$examples/profile-local-mock.json" --seed 1 \
  --sequences 100 --workers 1 --no-shrink >"$work/probe.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$work/probe.out"; fail "lease probe + sequences: exit $rc, expected 1"; }
for clause in lease.not_before_expiration keep_alive.sets_progress; do
  grep -q "^FAILED: $clause" "$work/probe.out" ||
    { cat "$work/probe.out"; fail "lease probe + sequences: $clause not named"; }
done

# Bad profile input: a clear message and exit 2.
unset CONFORMANCE_BOB_PASSWORD
"$conformance" run --target "$url" --profile "$examples/profile-local-mock.json" >"$work/bad.out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "unset password variable: exit $rc, expected 2"
grep -q "CONFORMANCE_BOB_PASSWORD is not set" "$work/bad.out" || { cat "$work/bad.out"; fail "message"; }
# An unreachable target: exit 3.
export CONFORMANCE_BOB_PASSWORD=bob-pass
"$conformance" run --target http://127.0.0.1:9 --profile "$examples/profile-local-mock.json" >"$work/down.out" 2>&1
rc=$?
[ $rc -eq 3 ] || { cat "$work/down.out"; fail "unreachable target: exit $rc, expected 3"; }
echo "wall-clock runs: ok"
