#!/bin/bash
# The test harness's local registry starts on loopback, answers the v2 API, and stops.
. "$(dirname "$0")/lib.sh"
start_registry
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/")
[ "$code" = 200 ] || fail "GET /v2/ answered $code"
pass
