#!/usr/bin/env bash
# mock-load against a separately started download-session-mock (--url): the /rest binding with
# shared users (alice, bob), the throughput mix with --json, leftovers from an earlier run, and
# exit 3 for a login that fails.
set -euo pipefail
load=$1
mock=$2
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "url_smoke: $*" >&2; exit 1; }

"$mock" --port 0 --clock virtual >"$tmp/url" 2>"$tmp/err" &
pid=$!
for _ in $(seq 200); do [ -s "$tmp/url" ] && break; sleep 0.05; done
url=$(head -n1 "$tmp/url")
[[ $url == http://* ]] || fail "the mock printed no URL: $(cat "$tmp/err")"

"$load" --url "$url" --binding rest --clients 8 --calls 200 || fail "rest run: exit $?"

# A leftover session of alice (raw HTTP over bash's /dev/tcp: curl may not be installed):
# deleted before the next run, which must still pass.
port=${url##*:}
request() {  # request METHOD PATH HEADERS BODY -> the response on stdout
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf '%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$1" "$2" "$3" "${#4}" "$4" >&3
  cat <&3
  exec 3<&-
}
login=$(request POST /api/session "Authorization: Basic $(printf alice:alice-pass | base64)"$'\r\n' "")
token=$(printf '%s' "$login" | tail -n1 | tr -d '"')
[[ $login == "HTTP/1.1 201"* && -n $token ]] || fail "login failed: $login"
created=$(request POST /api/content/library/item/download-session \
  "vmware-api-session-id: $token"$'\r\n'"Content-Type: application/json"$'\r\n' \
  '{"library_item_id":"6d4c2a1e-0b7f-4a53-9c1e-2f8a7b3c9d01"}')
[[ $created == "HTTP/1.1 201"* ]] || fail "create failed: $created"
"$load" --url "$url" --mix throughput --clients 4 --calls 300 --json >"$tmp/json" ||
  fail "throughput run: exit $?: $(cat "$tmp/json")"
grep -q '"exit_code":0' "$tmp/json" || fail "no exit_code 0 in $(cat "$tmp/json")"
grep -q '"sessions_after_cleanup":0' "$tmp/json" || fail "sessions left: $(cat "$tmp/json")"
grep -q '"calls":1200' "$tmp/json" || fail "unexpected call count: $(cat "$tmp/json")"
grep -q '"leftovers_deleted_before":1' "$tmp/json" || fail "the leftover was not deleted: $(cat "$tmp/json")"

set +e
"$load" --url "$url" --credentials alice:wrong --clients 1 --calls 1 2>"$tmp/login-err"
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "a failing login exits $rc, want 3"
echo "url_smoke: ok"
