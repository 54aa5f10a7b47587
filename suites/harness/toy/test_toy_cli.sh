#!/usr/bin/env bash
# A second service through the CLI: `conformance run --spec toy_spec.json` against the
# toy server (virtual clock). The clean server passes (exit 0); each fault the server
# can inject (toy-server --list-faults: NAME CLAUSE) fails the run (exit 1, --exit-first)
# on that clause, on the console and in the JUnit file (one failure, valid against both
# schemas). Without --exit-first a run goes on and may also report the clauses a fault's
# consequences break (power-on-noop: then power_on.requires_off too).
#   test_toy_cli.sh CONFORMANCE TOY_SERVER SPEC PROFILE_TEMPLATE VALIDATE_JUNIT SCHEMAS WORK
# The profile template's @TOY_URL@ becomes the server's URL (for its clock control); it
# lists no parts for kit-2, so every run also discovers them (Widget.make, Part.list,
# Widget.scrap) through the spec alone.
set -u
. "$(dirname "$0")/../server_url.sh"
conformance=$1 server=$2 spec=$3 template=$4 validate=$5 schemas=$6 work=$7
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
export TOY_ANN_PASSWORD=ann-pass TOY_BEN_PASSWORD=ben-pass
spid=''
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null' EXIT
fail() {
  echo "FAIL ($name): $*"
  for f in "$name".out server.err; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done
  exit 1
}

# run NAME WANT_RC [toy-server args...]: one run against a fresh server.
run() {
  name=$1 want=$2
  shift 2
  "$server" --port 0 "$@" </dev/null >server.out 2>server.err &
  spid=$!
  url=$(server_url server.out $spid) || fail "toy-server did not start"
  sed "s|@TOY_URL@|$url|" "$template" >profile.json
  mkdir -p "xml-$name"
  timeout -k 5 60 "$conformance" run --spec "$spec" --target "$url" --profile profile.json \
    --seed 1 --sequences 40 --exit-first --junit "xml-$name/$name.xml" --traces "traces-$name" \
    </dev/null >"$name".out 2>&1
  rc=$?
  kill $spid 2>/dev/null
  wait $spid 2>/dev/null
  spid=''
  [ $rc -eq "$want" ] || fail "exit $rc, expected $want"
  bash "$validate" xmllint "$schemas" "xml-$name" "$work/validate-$name" >validate.out 2>&1 ||
    { cat validate.out; fail "the JUnit file is not valid"; }
}

check_clause() {  # check_clause CLAUSE: the console and the JUnit file name it, the only failure with a minimal sequence
  local on total
  grep -qE "^FAILED: ${1//./\\.}( |\$)" "$name".out || return 1
  on=$(xmllint --xpath "count(//testcase[@name='$1']/failure[@type='violation'])" \
    "xml-$name/$name.xml" 2>/dev/null)
  # Failures with a minimal sequence (a body); a clause violated only on the way (while
  # shrinking) is failed too, without one.
  total=$(xmllint --xpath "count(//failure[string-length(normalize-space(.)) > 0])" \
    "xml-$name/$name.xml" 2>/dev/null)
  [ "$on" = 1 ] && [ "$total" = 1 ]
}

run clean 0
grep -q "^PASSED: no violations" clean.out || fail "the clean run did not say PASSED"
# The clean run exercised the toy's lease, child resource and idempotency clauses.
for c in widget.lease.initial part.fit.fits part.get.requires_part widget.make.token_replay \
  widget.all.by_kit; do
  xmllint --xpath "//testcase[@name='$c']" "xml-clean/clean.xml" >/dev/null 2>&1 ||
    fail "the JUnit file has no testcase $c"
done
echo "ok: clean toy server passes"

faults=$("$server" --list-faults)
[ -n "$faults" ] || { name=list; fail "toy-server lists no faults"; }
while read -r fault clause; do
  run "$fault" 1 --fault "$fault"
  check_clause "$clause" || fail "the failure is not named $clause (console and JUnit)"
  # Teeth: another clause is not accepted.
  check_clause toy.status && fail "teeth: check_clause accepted toy.status"
  echo "ok: fault $fault caught on $clause"
done <<<"$faults"
