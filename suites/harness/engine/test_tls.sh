#!/usr/bin/env bash
# The harness's TLS options against the mock serving HTTPS with a self-signed
# certificate: default verification refuses it (exit 3), --ca-file with that
# certificate accepts it, --insecure skips verification.
# usage: test_tls.sh MOCK CONFORMANCE EXAMPLES_DIR WORK_DIR
set -u
mock=$1 conformance=$2 examples=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
command -v openssl >/dev/null || fail "openssl not found (Debian package openssl)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 || fail "could not make a certificate"
"$mock" --port 0 --clock wall --session-timeout 2 --fixtures "$examples/fixtures.json" \
  --tls-cert cert.pem --tls-key key.pem >mock.out 2>&1 &
mpid=$!
trap 'kill $mpid 2>/dev/null' EXIT
for _ in $(seq 100); do url=$(grep -o 'https://[0-9.:]*' mock.out | head -1); [ -n "$url" ] && break; sleep 0.05; done
[ -n "$url" ] || { cat mock.out; fail "mock did not start with TLS"; }
export CONFORMANCE_ALICE_PASSWORD=alice-pass CONFORMANCE_BOB_PASSWORD=bob-pass
run() { "$conformance" run --target "$url" --profile "$examples/profile-local-mock.json" --seed 1 --sequences 3 \
  --max-steps 6 "$@" >last.out 2>&1; }
run; rc=$?
[ $rc -eq 3 ] || { cat last.out; fail "self-signed certificate with verification: exit $rc, expected 3"; }
# The message names the URL and suggests the fix.
grep -q "$url.*SSLServerVerification.*--ca-file.*--insecure" last.out ||
  { cat last.out; fail "the TLS failure does not name the URL and the fix"; }
run --ca-file cert.pem; rc=$?
[ $rc -eq 0 ] || { cat last.out; fail "--ca-file with the certificate: exit $rc, expected 0"; }
run --insecure; rc=$?
[ $rc -eq 0 ] || { cat last.out; fail "--insecure: exit $rc, expected 0"; }
echo "tls: ok"
