#!/usr/bin/env bash
# `conformance spec check|show` end to end:
#   test_cli.sh CONFORMANCE_BINARY SHIPPED_SPEC WORK_DIR
# Exits 0 when every expectation holds, 1 (naming each failure) otherwise.
set -uo pipefail

bin=$1 spec=$2 work=$3
mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# run NAME EXPECTED_EXIT ARGS...: runs the binary, keeps stdout/stderr in $work/NAME.*
run() {
  local name=$1 want=$2
  shift 2
  "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "$name: exit $rc, expected $want (stderr: $(head -c 400 "$work/$name.err"))"
}
# expect_in NAME STREAM FIXED_STRING
expect_in() {
  grep -qF -- "$3" "$work/$1.$2" || fail "$1: $2 lacks '$3' (got: $(head -c 400 "$work/$1.$2"))"
}
# mutate FROM TO OUT: a copy of the shipped spec with one exact, unique text replaced.
mutate() {
  local count
  count=$(grep -cF -- "$1" "$spec")
  if [ "$count" -ne 1 ]; then
    fail "mutation '$1' matches $count lines of $spec (expected 1)"
    return 1
  fi
  FROM=$1 TO=$2 awk '{ i = index($0, ENVIRON["FROM"]);
                        if (i) $0 = substr($0, 1, i - 1) ENVIRON["TO"] substr($0, i + length(ENVIRON["FROM"]));
                        print }' "$spec" >"$3"
  cmp -s "$spec" "$3" && { fail "mutation '$1' changed nothing"; return 1; }
  return 0
}

# 1. the shipped spec is valid
run check_ok 0 spec check "$spec"
expect_in check_ok out "$spec: ok (10 operations,"
[ -s "$work/check_ok.err" ] && fail "check_ok: unexpected stderr: $(cat "$work/check_ok.err")"

# 2. an undeclared initial state: exit 2, message with the file and pointer on stderr
bad_state=$work/bad-initial-state.json
if mutate '"initial": "ACTIVE"' '"initial": "NEW"' "$bad_state"; then
  run check_bad_state 2 spec check "$bad_state"
  expect_in check_bad_state err "conformance: invalid spec: $bad_state: /resources/DownloadSession/states/initial: state 'NEW' is not declared in DownloadSessionState"
  [ -s "$work/check_bad_state.out" ] && fail "check_bad_state: unexpected stdout"
fi

# 3. an unknown top-level key
bad_key=$work/bad-top-level-key.json
if mutate '"format_version": 1,' '"format_version": 1, "extensions": {},' "$bad_key"; then
  run check_bad_key 2 spec check "$bad_key"
  expect_in check_bad_key err "conformance: invalid spec: $bad_key: /extensions: unknown key 'extensions'"
fi

# 4. a missing file and invalid JSON
run check_missing 2 spec check "$work/no-such-spec.json"
expect_in check_missing err "conformance: invalid spec: $work/no-such-spec.json: /: cannot open the file"
printf '{"format_version": 1,' >"$work/truncated.json"
run check_truncated 2 spec check "$work/truncated.json"
expect_in check_truncated err "conformance: invalid spec: $work/truncated.json: /: not valid JSON"

# 5. show: the text view and the DOT view
run show 0 spec show "$spec"
expect_in show out "Operations (10):"
expect_in show out "DownloadSession.cancel("
run show_dot 0 spec show --dot "$spec"
head -n1 "$work/show_dot.out" | grep -q '^digraph' || fail "show_dot: output does not start with 'digraph'"
tail -n1 "$work/show_dot.out" | grep -qx '}' || fail "show_dot: output does not end with '}'"
run show_dot_bad 2 spec show --dot "$bad_state"

# 6. bad usage is exit 2 too
run usage_no_file 2 spec check

if [ "$failures" -ne 0 ]; then
  echo "test_cli: $failures failure(s)" >&2
  exit 1
fi
echo "test_cli: all expectations hold"
