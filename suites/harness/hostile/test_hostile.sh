#!/usr/bin/env bash
# One hostile behaviour: starts hostile-server in MODE, runs `conformance run` against
# it and checks that the run ends within the time bound with the expected exit code,
# names the expected clause on the console and in the JUnit file (with --exit-first: one
# <failure> with a minimal sequence, on that testcase), and that the JUnit file is valid against both schemas.
# Then checks that those checks have teeth: a wrong clause, a wrong exit code and a
# corrupted JUnit file must each be rejected by the same functions.
#
# usage: test_hostile.sh CONFORMANCE HOSTILE VALIDATE_SH SCHEMA_DIR PROFILE WORK MODE RC CLAUSE
#                        [--max-seconds S] [--expect TEXT]... [--hostile-arg ARG]...
#                        [--run-arg ARG]... [--max-sent-bytes N] [--max-rss-kb N]
#                        [--max-misbehaviours N]
# RC 0 means the run must pass (CLAUSE is then ignored: use '-'). One worker: with
# --exit-first the clause named first must not depend on which worker got there first.
set -u
. "$(dirname "$0")/../server_url.sh"
conformance=$1 hostile=$2 validate=$3 schemas=$4 profile=$5 work=$6 mode=$7 want_rc=$8 clause=$9
shift 9
max_seconds=60 max_sent='' max_rss='' max_bad=''
expects=() hostile_args=() run_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --max-seconds) max_seconds=$2 ;;
    --expect) expects+=("$2") ;;
    --hostile-arg) hostile_args+=("$2") ;;
    --run-arg) run_args+=("$2") ;;
    --max-sent-bytes) max_sent=$2 ;;
    --max-rss-kb) max_rss=$2 ;;
    --max-misbehaviours) max_bad=$2 ;;
    *) echo "test_hostile.sh: unknown option $1"; exit 2 ;;
  esac
  shift 2
done

rm -rf "$work" && mkdir -p "$work/xml" && cd "$work" || exit 1
fail() {
  echo "FAIL ($mode): $*"
  for f in run.out server.out server.err; do [ -f $f ] && { echo "--- $f"; tail -n 60 $f; }; done
  exit 1
}
spid=''
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null' EXIT

"$hostile" --port 0 --mode "$mode" "${hostile_args[@]}" >server.out 2>server.err &
spid=$!
url=$(server_url server.out $spid) || fail "hostile-server did not start"

export CONFORMANCE_ALICE_PASSWORD=alice-pass CONFORMANCE_BOB_PASSWORD=bob-pass
start=$EPOCHREALTIME  # bash 5; no bc or GNU date needed
# /usr/bin/time (when there) reports the peak RSS of `timeout` and its child.
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -q -f %M -o rss.txt)
"${timer[@]}" timeout -k 5 "$max_seconds" "$conformance" run --target "$url" --profile "$profile" \
  --seed 2 --sequences 5 --exit-first --workers 1 --junit xml/"$mode".xml --markdown "$mode".md --traces traces \
  "${run_args[@]}" >run.out 2>&1
rc=$?
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')

# ---- the checks (functions, so that their teeth can be shown below) ---------------
check_rc() {  # check_rc GOT WANT
  [ "$1" -eq "$2" ]
}
check_time() {  # check_time ELAPSED MAX
  awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'
}
check_console() {  # check_console CLAUSE: the summary names it
  grep -qE "^FAILED: ${1//./\\.}( |\$)" run.out
}
check_junit_clause() {  # check_junit_clause FILE CLAUSE: one failure, on CLAUSE's testcase
  local on total
  on=$(xmllint --xpath "count(//testcase[@name='$2']/failure[@type='violation'])" "$1" 2>/dev/null)
  # Failures with a minimal sequence (a body): the run stops at its first (--exit-first);
  # a clause violated on the way (while shrinking) is failed too, without one.
  total=$(xmllint --xpath "count(//failure[string-length(normalize-space(.)) > 0])" "$1" 2>/dev/null)
  [ "$on" = 1 ] && [ "$total" = 1 ]
}
check_junit_valid() {  # check_junit_valid DIR
  bash "$validate" xmllint "$schemas" "$1" "$work/validate" >validate.out 2>&1
}

[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "the run did not finish within $max_seconds s (hung)"
check_rc $rc "$want_rc" || fail "exit $rc, expected $want_rc"
check_time "$elapsed" "$max_seconds" || fail "took $elapsed s, more than $max_seconds s"
[ -s xml/"$mode".xml ] || fail "no JUnit file written"
[ -s "$mode".md ] || fail "no Markdown summary written"
check_junit_valid xml || { cat validate.out; fail "the JUnit file is not valid"; }
if [ "$want_rc" -ne 0 ]; then
  check_console "$clause" || fail "the console does not name $clause ('FAILED: $clause')"
  check_junit_clause xml/"$mode".xml "$clause" ||
    fail "the JUnit file does not have exactly one failure, on testcase $clause"
else
  grep -q "^PASSED: no violations" run.out || fail "the run did not pass"
  [ "$(xmllint --xpath 'count(//failure)' xml/"$mode".xml)" = 0 ] || fail "failures in JUnit"
fi
for text in "${expects[@]}"; do
  grep -qF -- "$text" run.out || fail "the output does not say '$text'"
done
if [ -n "$max_sent" ]; then
  sent=$(grep -o 'sent [0-9]* body bytes' server.err | head -1 | grep -o '[0-9]*')
  [ -n "$sent" ] || fail "the server did not log how much it sent"
  [ "$sent" -le "$max_sent" ] || fail "the server sent $sent body bytes (more than $max_sent)"
  grep -q 'before the client went away' server.err || fail "the client read the whole body"
fi
if [ -n "$max_rss" ] && [ -s rss.txt ]; then
  rss=$(tail -1 rss.txt)
  [ "$rss" -le "$max_rss" ] || fail "peak RSS $rss KiB, more than $max_rss KiB"
fi
if [ -n "$max_bad" ]; then
  bad=$(grep -c "^hostile: $mode: " server.err)
  [ "$bad" -le "$max_bad" ] || fail "the server misbehaved $bad times, expected at most $max_bad"
fi
ls xml/*.tmp ./*.tmp 2>/dev/null && fail "a temporary report file was left behind"

# ---- teeth: the same checks reject wrong answers ------------------------------------
check_rc $rc $((want_rc == 1 ? 0 : 1)) && fail "teeth: check_rc accepted a wrong exit code"
check_time "$elapsed" 0 && fail "teeth: check_time accepted $elapsed s <= 0 s"
if [ "$want_rc" -ne 0 ]; then
  wrong=binding.error_status
  [ "$clause" = $wrong ] && wrong=model.shape
  check_console $wrong && fail "teeth: check_console accepted $wrong"
  check_junit_clause xml/"$mode".xml $wrong && fail "teeth: check_junit_clause accepted $wrong"
fi
mkdir -p broken
head -c $(($(wc -c <xml/"$mode".xml) / 2)) xml/"$mode".xml >broken/cut.xml
check_junit_valid broken && fail "teeth: the validator accepted a JUnit file cut in half"

grep -o 'first failure after .*' run.out | sed 's/^/  /'
echo "ok: hostile $mode: exit $rc, clause $clause, $(printf %.1f "$elapsed") s${rss:+, peak RSS $rss KiB}${sent:+, server sent $sent body bytes}"
