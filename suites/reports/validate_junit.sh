#!/usr/bin/env bash
# Validates the approved JUnit reports against the two public schemas (suites/reports/schemas).
#   validate_junit.sh XMLLINT SCHEMA_DIR APPROVED_DIR WORK_DIR
# jenkins-junit-10.xsd accepts a <testsuites> or a <testsuite> root: every file is
# validated whole. surefire-test-report.xsd accepts only a <testsuite> root: a
# <testsuites> file has each of its suites extracted and validated on its own.
# Missing xmllint or schemas fail the test (exit 1); they never skip it.
set -u
xmllint=$1 schemas=$2 approved=$3 work=$4
jenkins=$schemas/jenkins-junit-10.xsd
surefire=$schemas/surefire-test-report.xsd

if ! command -v "$xmllint" >/dev/null 2>&1; then
  echo "FAIL: xmllint not found ($xmllint): install libxml2-utils (scripts/setup lists it)" >&2
  exit 1
fi
for xsd in "$jenkins" "$surefire"; do
  [[ -f $xsd ]] || { echo "FAIL: schema missing: $xsd" >&2; exit 1; }
done
mkdir -p "$work"

status=0 checked=0
check() {  # check XSD FILE LABEL
  if "$xmllint" --noout --nonet --schema "$1" "$2" 2>"$work/err"; then
    echo "ok    $3 against $(basename "$1")"
  else
    echo "FAIL  $3 against $(basename "$1")"
    cat "$work/err"
    status=1
  fi
  checked=$((checked + 1))
}

shopt -s nullglob
for file in "$approved"/*.xml; do
  case $file in *.received.xml) continue ;; esac
  name=$(basename "$file")
  check "$jenkins" "$file" "$name"
  root=$("$xmllint" --xpath 'name(/*)' "$file" 2>/dev/null)
  if [[ $root == testsuite ]]; then
    check "$surefire" "$file" "$name"
  elif [[ $root == testsuites ]]; then
    n=$("$xmllint" --xpath 'count(/testsuites/testsuite)' "$file")
    [[ $n -ge 1 ]] || { echo "FAIL  $name: no <testsuite> in <testsuites>"; status=1; }
    for ((i = 1; i <= n; i++)); do
      suite=$work/${name%.xml}.suite$i.xml
      { echo '<?xml version="1.0" encoding="UTF-8"?>'
        "$xmllint" --xpath "/testsuites/testsuite[$i]" "$file"
        echo; } >"$suite"
      check "$surefire" "$suite" "$name (testsuite $i)"
    done
  else
    echo "FAIL  $name: root element <$root>, expected testsuites or testsuite"
    status=1
  fi
done
# The check has teeth: Surefire's schema must reject a <testsuites> root.
if [[ -f $approved/passing.xml ]] &&
   "$xmllint" --noout --nonet --schema "$surefire" "$approved/passing.xml" 2>/dev/null; then
  echo "FAIL  surefire-test-report.xsd accepted a <testsuites> root: is xmllint validating?"
  status=1
fi
if [[ $checked -eq 0 ]]; then
  echo "FAIL: no approved JUnit files in $approved" >&2
  exit 1
fi
exit $status
