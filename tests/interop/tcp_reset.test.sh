# A kernel peer aborts a TCP connection in the middle of a transfer (issue 3:
# "kernel RST mid-transfer surfaces as ECONNRESET"): tapir's client must see
# Python's ConnectionResetError, "[Errno 104] Connection reset by peer", kind
# error, errno ECONNRESET, in each place it can meet the RST:
#   recv     blocked in recv() when the RST arrives (peer: SO_LINGER 0 close
#            with our bytes unread); then send gives "[Errno 32] Broken pipe"
#   send     the RST arrived between calls: the next send() reports it once,
#            the one after is EPIPE
#   sendall  in the middle of a 64 MiB sendall (peer: plain close with data
#            unread, which Linux answers with RST)
# Each case also checks that the kernel did send a RST (its TcpExtTCPAbort*
# counters move), so the case cannot pass on a FIN.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd python3 nstat
need_bin tapir-reset
here=$(cd "$(dirname "$0")" && pwd)
new_ns ns k
ns_tap "$ns" tap0

# Kernel RSTs sent so far (OutRsts in the namespace's SNMP counters).
out_rsts() { ip netns exec "$ns" nstat -asz TcpOutRsts | awk '/TcpOutRsts/ {print $2}'; }

port=7400
for mode in recv send sendall; do
    port=$((port + 1))
    rst0=$(out_rsts)
    start_bg peer ip netns exec "$ns" python3 "$here/tcp_reset_peer.py" $KERNEL_IP $port $mode
    wait_log peer listening 10 || { show_log peer; fail "$mode: kernel peer did not start"; }
    out=$(timeout 60 ip netns exec "$ns" "$PROGS/tapir-reset" "${TAPIR_DEV[@]}" $KERNEL_IP $port $mode 2>&1 </dev/null)
    rc=$?
    echo "$out"
    wait_for 10 grep -q "^aborted" "$(log_of peer)" || { show_log peer; fail "$mode: the kernel peer did not abort"; }
    stop_bg peer
    rst1=$(out_rsts)
    [ "$rst1" -gt "$rst0" ] || fail "$mode: the kernel sent no RST (TcpOutRsts $rst0 -> $rst1)"
    [ $rc -eq 0 ] || fail "$mode: tapir-reset exited $rc"
    grep -q "\[Errno 104\] Connection reset by peer (kind error, errno 104)" <<<"$out" ||
        fail "$mode: no ECONNRESET reported"
    say "$mode ok: $(grep -E '^(recv|send|sendall):' <<<"$out")"
done
exit 0
