#!/usr/bin/env bash
# Runs every test suite against one build directory and fails if any failed.
#   unit     Criterion, one piece at a time             (build/tests/unit-tests)
#   sim      Criterion, whole stacks on the memlink wire (build/tests/sim-tests)
#   drill    packetdrill scripts: ../shared corpus + ours (build/bin/tapir-drill)
#   interop  shell scripts in namespaces, Linux as the peer (needs root + TUN)
# TAPIR_SUITES="unit sim" limits the run.
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
SUITES=${TAPIR_SUITES:-"unit sim drill interop"}
failed=()

run() { # name, command...
    local name=$1; shift
    echo "=== $name ==="
    if "$@"; then echo "=== $name: ok ==="; else echo "=== $name: FAILED ==="; failed+=("$name"); fi
}

for s in $SUITES; do
    case $s in
    unit) [ -x "$BUILD/tests/unit-tests" ] && run unit "$BUILD/tests/unit-tests" --jobs 2 ;;
    sim) [ -x "$BUILD/tests/sim-tests" ] && run sim "$BUILD/tests/sim-tests" --jobs 2 ;;
    drill) [ -x "$BUILD/bin/tapir-drill" ] && run drill bash tests/drill/run-corpus.sh "$BUILD" ;;
    interop) [ -f tests/interop/run.sh ] && run interop bash tests/interop/run.sh "$BUILD" ;;
    esac
done

echo
if [ ${#failed[@]} -eq 0 ]; then
    echo "all suites passed ($SUITES)"
else
    echo "FAILED suites: ${failed[*]}"
    exit 1
fi
