#!/usr/bin/env bash
# The variant sweep's bounded subset (scripts/variant-sweep --quick): the clean mock under
# every variant value alone and two random combinations gives zero findings (exit 0). Its
# teeth: the same sweep with a fault injected into every run reports findings (exit 1).
#   test_variant_sweep.sh SWEEP_SCRIPT BIN_DIR
set -uo pipefail
sweep=$1 bin=$2
fail=0
python3 "$sweep" --quick --no-setup --bin "$bin" >clean.out 2>&1
rc=$?
tail -1 clean.out
[ $rc -eq 0 ] || { echo "FAIL: the clean sweep exited $rc (expected 0)"; grep FINDING -A1 clean.out; fail=1; }
grep -q ' 0 findings' clean.out || { echo "FAIL: the clean sweep did not report 0 findings"; fail=1; }

python3 "$sweep" --quick --no-setup --bin "$bin" --fault delete-noop >fault.out 2>&1
rc=$?
tail -1 fault.out
[ $rc -eq 1 ] || { echo "FAIL: the sweep with delete-noop exited $rc (expected 1)"; fail=1; }
grep -q '^FINDING: .*delete\.removes' fault.out || { echo "FAIL: no finding on delete.removes"; fail=1; }
exit $fail
