#!/usr/bin/env bash
# `conformance run --variant NAME=VALUE`: passed to the embedded mock, printed in the
# reproduce command, a usage error (exit 2) when unknown, malformed or given with a URL target.
# usage: test_variant_flag.sh CONFORMANCE EXAMPLES_DIR WORK
set -u
conformance=$1 examples=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }

# A clean run with a variant: exit 0.
"$conformance" run --variant keepalive-progress-range=clamp --seed 1 --sequences 5 >ok.out 2>&1
rc=$?; [ $rc -eq 0 ] || { cat ok.out; fail "run with a variant: exit $rc, expected 0"; }

# A failing run: the reproduce command carries the variants next to the faults.
"$conformance" run --fault delete-noop --variant keepalive-progress-range=clamp \
  --variant keepalive-null-progress=absent --seed 4 --traces tr >fail.out 2>&1
rc=$?; [ $rc -eq 1 ] || { cat fail.out; fail "failing run: exit $rc, expected 1"; }
grep -q -- "--fault delete-noop --variant keepalive-progress-range=clamp --variant keepalive-null-progress=absent" fail.out ||
  { cat fail.out; fail "the reproduce command lacks the --variant flags"; }

# Usage errors: exit 2 with a message naming the problem.
expect2() {
  local want=$1
  shift
  "$conformance" "$@" >usage.out 2>&1
  local rc=$?
  [ $rc -eq 2 ] || { cat usage.out; fail "'$*': exit $rc, expected 2"; }
  grep -qF -- "$want" usage.out || { cat usage.out; fail "'$*': the message lacks '$want'"; }
}
expect2 "no-such-variant" run --variant no-such-variant=1 --sequences 1
expect2 "reject|clamp|ignore" run --variant keepalive-progress-range=sideways --sequences 1
expect2 "NAME=VALUE" run --variant keepalive-progress-range --sequences 1
expect2 "--variant applies to the embedded mock only" run --target http://127.0.0.1:9 \
  --profile "$examples/profile-local-mock.json" --variant keepalive-progress-range=clamp
echo "test_variant_flag: ok"
