#!/usr/bin/env bash
# Runs tapir-drill over:
#   tests/drill/selftest/*.pkt   scripts that check the checker: each says in its
#                                first line "// selftest: expect PASS" or
#                                "// selftest: expect FAIL: <text in the reason>"
#   ../shared/packetdrill/tcp/   the public packetdrill corpus (Linux's scripts)
#   tests/drill/scenarios/       our own scenarios
# Prints PASS/FAIL per script with the reason (a corpus script that fails and
# is not listed as passing in corpus-expected.txt prints GAP instead of FAIL:
# a known gap, counted as failed, listed in the README, so that FAIL lines
# are the failures that fail the run), then the plain summary lines
#   packetdrill: N passed, N failed
#   scenarios: N passed, N failed
# Exit status 1 when a selftest fails, when one of our scenarios fails that
# is not listed in tests/drill/scenarios-known-failing.txt (tapir differs,
# with the reason), or when a corpus script listed in
# tests/drill/corpus-expected.txt (known to pass) fails: a regression.  Other
# corpus failures are listed, not fatal.
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
DRILL="$BUILD/bin/tapir-drill"
CORPUS=../shared/packetdrill
EXPECTED=tests/drill/corpus-expected.txt
TIMEOUT=${DRILL_TIMEOUT:-60}
status=0

if [ ! -x "$DRILL" ]; then
    echo "FAIL: $DRILL not built"
    exit 1
fi

# One script -> its PASS/FAIL line (a crash or a hang is a FAIL too).
run_one() {
    local out rc
    out=$(timeout "$TIMEOUT" "$DRILL" "$1" 2>&1)
    rc=$?
    local line
    # The verdict line and, for a FAIL, the indented detail lines after it.
    line=$(printf '%s\n' "$out" | sed -n '/^\(PASS\|FAIL\) /,$p' | grep -v '^tapir-drill: ')
    if [ $rc -eq 124 ]; then
        echo "FAIL $1: timed out after ${TIMEOUT}s"
    elif [ -z "$line" ]; then
        echo "FAIL $1: no verdict (exit $rc): $(printf '%s' "$out" | tail -3 | tr '\n' ' ')"
    elif [ $rc -ne 0 ] && [ "${line%% *}" = PASS ]; then
        echo "FAIL $1: exit status $rc"
    else
        echo "$line"
    fi
}

echo "--- selftests (the checker must be able to fail) ---"
st_pass=0 st_fail=0
for f in $(find tests/drill/selftest -name '*.pkt' 2>/dev/null | sort); do
    want=$(head -1 "$f" | sed -n 's|^// selftest: expect ||p')
    got=$(run_one "$f")
    case "$want" in
    PASS) [ "${got%% *}" = PASS ] && ok=1 || ok=0 ;;
    FAIL:*)
        needle=${want#FAIL: }
        if [ "${got%% *}" = FAIL ] && [[ "$got" == *"$needle"* ]]; then ok=1; else ok=0; fi ;;
    *) ok=0; got="$got (no '// selftest: expect' header)" ;;
    esac
    if [ $ok = 1 ]; then
        st_pass=$((st_pass + 1)); echo "ok   $f"
    else
        st_fail=$((st_fail + 1)); status=1; echo "BAD  $f: wanted $want, got: $got"
    fi
done
echo "selftests: $st_pass passed, $st_fail failed"

echo "--- packetdrill corpus ($CORPUS) ---"
if [ -d "$CORPUS/tcp" ]; then
    c_pass=0 c_fail=0
    passed_list=()
    for f in $(find "$CORPUS/tcp" -name '*.pkt' | sort); do
        got=$(run_one "$f")
        rel=${f#"$CORPUS"/}
        if [ "${got%% *}" = FAIL ] && ! { [ -f "$EXPECTED" ] && grep -qxF "$rel" "$EXPECTED"; }; then
            echo "GAP ${got#FAIL }"
        else
            echo "$got"
        fi
        if [ "${got%% *}" = PASS ]; then
            c_pass=$((c_pass + 1)); passed_list+=("$rel")
        else
            c_fail=$((c_fail + 1))
        fi
    done
    if [ -f "$EXPECTED" ]; then
        while read -r want; do
            case "$want" in ''|'#'*) continue ;; esac
            found=0
            for p in "${passed_list[@]}"; do [ "$p" = "$want" ] && found=1 && break; done
            if [ $found = 0 ]; then
                echo "REGRESSION: $want is listed in $EXPECTED but did not pass"
                status=1
            fi
        done < "$EXPECTED"
        for p in "${passed_list[@]}"; do
            grep -qxF "$p" "$EXPECTED" || echo "NEW PASS: $p (add it to $EXPECTED)"
        done
    fi
    echo "packetdrill: $c_pass passed, $c_fail failed"
else
    echo "SKIP: packetdrill corpus not found (../shared/packetdrill)"
fi

echo "--- our scenarios (tests/drill/scenarios) ---"
s_pass=0 s_fail=0
# Without a TCP engine in the build every scenario would fail on socket():
# say so and skip them instead (the corpus above already shows it).
probe=$(mktemp --suffix=.pkt)
echo '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3' > "$probe"
if ! "$DRILL" "$probe" >/dev/null 2>&1; then
    rm -f "$probe"
    n=$(find tests/drill/scenarios -name '*.pkt' 2>/dev/null | wc -l)
    echo "SKIP: no TCP engine in this build (socket(SOCK_STREAM) fails): $n scenarios not run"
    echo "scenarios: 0 passed, 0 failed"
    exit $status
fi
rm -f "$probe"
KNOWN=tests/drill/scenarios-known-failing.txt
known_fail() { [ -f "$KNOWN" ] && grep -qE "^$1([[:space:]]|$)" "$KNOWN"; }
s_known=0
for f in $(find tests/drill/scenarios -name '*.pkt' 2>/dev/null | sort); do
    got=$(run_one "$f")
    echo "$got"
    if [ "${got%% *}" = PASS ]; then
        s_pass=$((s_pass + 1))
        known_fail "$f" && echo "NEW PASS: $f (delete its line from $KNOWN)"
    else
        s_fail=$((s_fail + 1))
        if known_fail "$f"; then
            s_known=$((s_known + 1))
            echo "KNOWN FAIL: $f: $(grep -E "^$f([[:space:]]|$)" "$KNOWN" | sed 's/^[^#]*# *//')"
        else
            status=1
        fi
    fi
done
echo "scenarios: $s_pass passed, $s_fail failed"
[ $s_known -gt 0 ] && echo "($s_known of the failures are listed in $KNOWN: tapir differs, see the reasons)"
exit $status
