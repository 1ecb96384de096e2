# 1000 TCP connections opened and closed against the kernel with no state
# left behind (issue 3): tapir connects 1000 times to a kernel server, then
# a kernel client connects 1000 times to a tapir listener; each connection
# echoes one line and ends one of four ways (client closes first, server
# closes first, client aborts with RST, half-close then close).  At the end
# tapir-conn-loop checks that every gauge of the stack (control blocks,
# connections, TIME_WAIT, SYN and accept queues, listeners, bound ports) is
# back to zero.  TIME_WAIT is shortened to 1 s (tcp_timewait_ms=1000) so the
# wait for it is bounded.  The loops run with the build under test and again
# with the ASan+UBSan build (build-asan) when it exists: a sanitizer report
# or a leak (LeakSanitizer at exit) fails the test.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd python3
need_bin tapir-conn-loop
here=$(cd "$(dirname "$0")" && pwd)
N=${TAPIR_CONN_LOOP_N:-1000}
TW_MS=1000

new_ns ns k
ns_tap "$ns" tap0

builds=("$BUILD")
asan=$(cd "$here/../.." && pwd)/build-asan
if [ "$BUILD" != "$asan" ] && [ -x "$asan/tests/progs/tapir-conn-loop" ]; then
    builds+=("$asan")
elif [ "$BUILD" != "$asan" ]; then
    say "no ASan build ($asan): the loops run with $BUILD only (make asan builds it)"
fi
export ASAN_OPTIONS=detect_leaks=1
export LSAN_OPTIONS=suppressions=$here/../lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1

# check_run LOG RC WHAT: the program's verdict, and no sanitizer report.
check_run() {
    local log=$1 rc=$2 what=$3
    if grep -Eq "ERROR: (Address|Leak)Sanitizer|runtime error:" "$log"; then
        cat "$log"; fail "$what: sanitizer report"
    fi
    [ "$rc" -eq 0 ] && grep -q "^ok$" "$log" || { cat "$log"; fail "$what: exited $rc"; }
}

port=7300
for b in "${builds[@]}"; do
    prog=$b/tests/progs/tapir-conn-loop
    tag=$(basename "$b")

    # ---- tapir client -> kernel server
    port=$((port + 1))
    start_bg ks ip netns exec "$ns" python3 "$here/tcp_conn_peer.py" server $KERNEL_IP $port "$N"
    wait_log ks listening 10 || { show_log ks; fail "kernel server did not start"; }
    timeout 170 ip netns exec "$ns" "$prog" "${TAPIR_DEV[@]}" --config tcp_timewait_ms=$TW_MS \
        --settle 5 client $KERNEL_IP $port "$N" </dev/null >"$TMPD/c.log" 2>&1
    rc=$?
    check_run "$TMPD/c.log" $rc "$tag: tapir client x$N"
    wait_for 10 grep -q "^done $N" "$(log_of ks)" || { show_log ks; fail "$tag: kernel server did not see $N connections"; }
    stop_bg ks
    say "$tag: tapir client -> kernel: $(grep -E '^[0-9]+ connections in' "$TMPD/c.log"), gauges back to zero"
    grep -E "^tcp_active_opens" "$TMPD/c.log"

    # ---- kernel client -> tapir server
    port=$((port + 1))
    start_bg ts ip netns exec "$ns" "$prog" "${TAPIR_DEV[@]}" --config tcp_timewait_ms=$TW_MS \
        --settle 5 server $port "$N"
    wait_log ts "listening on" 20 || { show_log ts; fail "$tag: tapir server did not come up"; }
    out=$(timeout 170 ip netns exec "$ns" python3 "$here/tcp_conn_peer.py" client $TAPIR_IP $port "$N" 2>&1)
    grep -q "^done $N" <<<"$out" || { show_log ts; fail "$tag: kernel client: $out"; }
    wait_for 20 bash -c "! kill -0 $(pid_of ts) 2>/dev/null" || { show_log ts; fail "$tag: tapir server did not finish"; }
    wait "$(pid_of ts)"
    rc=$?
    unset "_BG[ts]"
    check_run "$(log_of ts)" $rc "$tag: tapir server x$N"
    say "$tag: kernel client -> tapir: $(grep -E '^[0-9]+ connections in' "$(log_of ts)"), gauges back to zero"
    grep -E "^tcp_active_opens" "$(log_of ts)"
done
exit 0
