#!/usr/bin/env bash
# The executable's variant flags: --list-variants prints the catalogue (exit 0), a bad
# --variant exits 2 with one line naming the problem, and a good one changes the behaviour.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "cli_variants: $*" >&2; exit 1; }

# --list-variants: name<TAB>default<TAB>values separated by |<TAB>clauses<TAB>description<TAB>
# the values that need --strictness documented, separated by | (may be empty).
"$bin" --list-variants >"$tmp/list" || fail "--list-variants: exit $?"
[ -s "$tmp/list" ] || fail "--list-variants printed nothing"
awk -F'\t' '
  NF != 6 { print "not 6 fields: " $0; bad = 1; next }
  { n = split($3, vals, "|") }
  n < 2 || vals[1] != $2 { print "default is not the first of >= 2 values: " $0; bad = 1 }
  $1 !~ /^[a-z][a-z0-9-]*$/ || seen[$1]++ { print "bad or repeated name: " $1; bad = 1 }
  $4 == "" || $5 == "" { print "no clauses or description: " $0; bad = 1 }
  { m = split($6, doc, "|"); for (i = 1; i <= m; i++) { ok = 0; for (j = 2; j <= n; j++) ok = ok || doc[i] == vals[j]
      if (!ok) { print "documented value " doc[i] " is not a non-default value: " $0; bad = 1 } } }
  END { exit bad }' "$tmp/list" || fail "--list-variants: malformed output"
grep -q "^keepalive-progress-range	reject	reject|clamp|ignore	keep_alive.progress_out_of_range	" \
  "$tmp/list" || fail "--list-variants: keepalive-progress-range line missing or wrong"

# Bad input: exit 2 with a one-line message that names the problem.
expect2() {
  local want=$1
  shift
  set +e
  "$bin" "$@" >/dev/null 2>"$tmp/err"
  local rc=$?
  set -e
  [ $rc -eq 2 ] || fail "'$*': exit $rc, expected 2"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "'$*': expected one line on stderr, got: $(cat "$tmp/err")"
  grep -qF -- "$want" "$tmp/err" || fail "'$*': message does not say '$want': $(cat "$tmp/err")"
}
expect2 "no-such-variant" --variant no-such-variant=1
expect2 "reject|clamp|ignore" --variant keepalive-progress-range=sideways
expect2 "NAME=VALUE" --variant keepalive-progress-range
expect2 "given twice" --variant keepalive-progress-range=clamp --variant keepalive-progress-range=ignore

# A good variant: keep_alive with progress 150 is clamped to 100.
"$bin" --port 0 --clock virtual --variant keepalive-progress-range=clamp >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/out" ] && break; sleep 0.05; done
url=$(head -n1 "$tmp/out")
[[ $url =~ ^http://127\.0\.0\.1:([0-9]+)$ ]] || fail "unexpected URL line '$url'"
port=${BASH_REMATCH[1]}

# One request over bash's /dev/tcp; prints the whole answer.
request() {
  local method=$1 path=$2 body=$3 extra=${4:-}
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf '%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$method" "$path" "$extra" "${#body}" "$body" >&3
  cat <&3
  exec 3<&-
}
login=$(request POST /api/session "" "Authorization: Basic $(printf 'alice:alice-pass' | base64)"$'\r\n')
token=$(printf '%s' "$login" | tail -n1 | tr -d '"')
[[ $login == "HTTP/1.1 201"* && -n $token ]] || fail "login failed: $login"
auth="vmware-api-session-id: $token"$'\r\n'
sessions=/api/content/library/item/download-session
created=$(request POST $sessions '{"library_item_id":"6d4c2a1e-0b7f-4a53-9c1e-2f8a7b3c9d01"}' "$auth")
sid=$(printf '%s' "$created" | tail -n1 | tr -d '"')
[[ $created == "HTTP/1.1 201"* && -n $sid ]] || fail "create failed: $created"
reply=$(request POST "$sessions/$sid?action=keep-alive" '{"progress":150}' "$auth")
[[ $reply == "HTTP/1.1 204"* ]] || fail "keep_alive 150 under clamp: $reply"
reply=$(request GET "$sessions/$sid" "" "$auth")
[[ $reply == *'"client_progress":100'* ]] || fail "progress not clamped: $reply"
echo "cli_variants: ok"
