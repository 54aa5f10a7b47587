#!/usr/bin/env bash
# Smoke test of the download-session-mock executable: --port 0 prints the URL, the server
# answers, SIGTERM stops it with exit 0, a taken port exits 3, bad input exits 2.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "cli_smoke: $*" >&2; exit 1; }

"$bin" --port 0 --clock virtual --users alice:s3cret-pw --log-requests >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/out" ] && break; sleep 0.05; done
url=$(head -n1 "$tmp/out")
[[ $url =~ ^http://127\.0\.0\.1:([0-9]+)$ ]] || fail "unexpected URL line '$url'"
port=${BASH_REMATCH[1]}

# One request over bash's /dev/tcp.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /mock/v1/clock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
reply=$(cat <&3)
exec 3<&-
[[ $reply == "HTTP/1.1 200"* ]] || fail "clock request failed: $reply"
[[ $reply == *'"mode":"virtual"'* ]] || fail "unexpected clock body: $reply"

# --log-requests never shows passwords, Authorization values or tokens.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /api/session HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' \
  "$(printf 'alice:s3cret-pw' | base64)" >&3
login=$(cat <&3)
exec 3<&-
token=$(printf '%s' "$login" | tail -n1 | tr -d '"')
[[ $login == "HTTP/1.1 201"* && -n $token ]] || fail "login failed: $login"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /api/content/library/item/download-session HTTP/1.1\r\nHost: x\r\nvmware-api-session-id: %s\r\nConnection: close\r\n\r\n' "$token" >&3
reply=$(cat <&3)
exec 3<&-
[[ $reply == "HTTP/1.1 200"* ]] || fail "list failed: $reply"
sleep 0.1
grep -q 'GET /api/content/library/item/download-session -> 200' "$tmp/err" || fail "request not logged"
if grep -q -e "$token" -e 's3cret-pw' -e "$(printf 'alice:s3cret-pw' | base64)" "$tmp/err"; then
  fail "a secret leaked into the request log"
fi

# Port in use: exit 3.
set +e
"$bin" --port "$port" 2>"$tmp/err3" >/dev/null
rc=$?
set -e
[ $rc -eq 3 ] || fail "port in use: exit $rc, expected 3"
[ -s "$tmp/err3" ] || fail "port in use: no message"

# SIGTERM: clean exit 0.
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
[ $rc -eq 0 ] || fail "SIGTERM: exit $rc, expected 0"

# Bad input: exit 2 with a one-line message.
expect2() {
  set +e
  "$bin" "$@" >/dev/null 2>"$tmp/err2"
  local rc=$?
  set -e
  [ $rc -eq 2 ] || fail "'$*': exit $rc, expected 2"
  [ "$(wc -l <"$tmp/err2")" -eq 1 ] || fail "'$*': expected one line on stderr, got: $(cat "$tmp/err2")"
}
expect2 --no-such-flag
expect2 --fault does-not-exist
expect2 --fixtures /nonexistent.json
expect2 --clock sideways
expect2 --port 70000
expect2 --session-timeout -1
expect2 --users nocolon
expect2 --tls-cert /nonexistent.pem
echo '{"items":' >"$tmp/bad.json"
expect2 --fixtures "$tmp/bad.json"
grep -q "$tmp/bad.json" "$tmp/err2" || fail "fixture error does not name the file"

# --list-faults: 21 lines of name<TAB>clause<TAB>description.
n=$("$bin" --list-faults | awk -F'\t' 'NF == 3' | wc -l)
[ "$n" -ge 21 ] || fail "--list-faults printed $n faults"
echo "cli_smoke: ok"
