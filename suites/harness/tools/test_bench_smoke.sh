#!/usr/bin/env bash
# The benchmark in smoke mode (tiny budgets): every part measures something, every
# fault is caught, the bare replay agrees with the recorded answers, the JSON
# figures are written. The figures themselves are not asserted (benchmarks print
# figures; timed tests would be flaky).
#   test_bench_smoke.sh BENCH_BINARY WORKDIR
set -uo pipefail
bench=$1 work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
"$bench" --smoke --json figures.json >table.md 2>log.txt
rc=$?
fail=0
[ $rc -eq 0 ] || { echo "FAIL: conformance-bench --smoke exited $rc"; cat log.txt; fail=1; }
for section in "## 1. Harness vs bare client" "## 2. Mock capacity" "## 3. Time to first failure" \
               "## 4. Memory"; do
  grep -qF "$section" table.md || { echo "FAIL: no '$section' in the table"; fail=1; }
done
for key in '"ratio"' '"mock_capacity"' '"first_failure"' '"memory"'; do
  grep -q "$key" figures.json || { echo "FAIL: $key missing from figures.json"; fail=1; }
done
# Bad flags exit 2.
"$bench" --part 9 >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: --part 9 did not exit 2"; fail=1; }
cat table.md
exit $fail
