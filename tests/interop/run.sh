#!/usr/bin/env bash
# Runs every tests/interop/*.test.sh, each in its own process (its own
# namespaces, cleaned up by its own trap), with a time limit.  Prints one
# PASS / FAIL / SKIP line per test (the log of a failure too) and ends with
#   interop: N passed, N failed, N skipped
# Exit status 1 if any failed.  TAPIR_INTEROP_FILTER=regex runs a subset.
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
LIMIT=${TAPIR_INTEROP_TIMEOUT:-180}
pass=0 failn=0 skipn=0
failed=()
for t in tests/interop/*.test.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$t" .test.sh)
    if [ -n "${TAPIR_INTEROP_FILTER:-}" ] && ! [[ $name =~ $TAPIR_INTEROP_FILTER ]]; then
        continue
    fi
    log=$(mktemp)
    start=${EPOCHREALTIME/./}
    timeout -k 5 "$LIMIT" bash "$t" "$BUILD" >"$log" 2>&1
    rc=$?
    ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
    secs=$((ms / 1000)).$(( (ms % 1000) / 100 ))
    case $rc in
    0) echo "PASS $name (${secs}s)"; pass=$((pass + 1)) ;;
    77) echo "SKIP $name: $(grep -E '^SKIP' "$log" | tail -n 1 | sed 's/^SKIP: //')"; skipn=$((skipn + 1)) ;;
    *)
        [ $rc -eq 124 ] && echo "(timed out after ${LIMIT}s)" >>"$log"
        echo "FAIL $name (exit $rc, ${secs}s)"
        sed 's/^/    | /' "$log"
        failn=$((failn + 1))
        failed+=("$name")
        ;;
    esac
    rm -f "$log"
done
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "interop: $pass passed, $failn failed, $skipn skipped"
[ $failn -eq 0 ]
