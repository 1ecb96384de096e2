# A dual-stack tapir TCP listener (bound to ::, IPV6_V6ONLY off as on Linux)
# takes an IPv4 and an IPv6 kernel client; the IPv4 peer reads as
# ::ffff:198.18.0.1; the same for a UDP socket on ::.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ip6_lib.sh"
need_root
need_cmd nc
need_bin tapir-nc

new_ns ns k
ns_tap6 "$ns" tap0
DEV=("${TAPIR_DEV6[@]}" --config dad=0)
for client in "$TAPIR_IP" "$TAPIR_IP6"; do
    start_bg ds bash -c "exec ip netns exec $ns $BIN/tapir-nc ${DEV[*]} -6 -l -v 7200 >$TMPD/ds.out </dev/null"
    wait_log ds "Listening on :: 7200" 10 || { show_log ds; fail "dual-stack listener"; }
    echo "hello from $client" | timeout 20 ip netns exec "$ns" nc -N -w 5 "$client" 7200 \
        || { show_log ds; fail "kernel client to $client could not connect to the :: listener"; }
    wait_for 5 grep -q "hello from $client" "$TMPD/ds.out" || { show_log ds; fail "no data from $client"; }
    stop_bg ds
    if [ "$client" = "$TAPIR_IP" ]; then
        grep -q "Connection received on ('::ffff:$KERNEL_IP'" "$(log_of ds)" \
            || { show_log ds; fail "an IPv4 peer of a dual-stack socket should read as ::ffff:$KERNEL_IP"; }
    fi
done
say "dual-stack TCP listener ok"

# UDP: a socket on :: gets an IPv4 datagram, its sender read as ::ffff:198.18.0.1.
start_bg du bash -c "exec ip netns exec $ns $BIN/tapir-nc ${DEV[*]} -6 -u -l -v 9300 </dev/null"
wait_log du "Listening on :: 9300" 10 || { show_log du; fail "dual-stack UDP socket"; }
sleep 0.3
echo "hello over IPv4 to ::" | ip netns exec "$ns" nc -u -w 1 -q 1 "$TAPIR_IP" 9300
wait_log du "hello over IPv4 to ::" 5 || { show_log du; fail "the :: UDP socket did not get the IPv4 datagram"; }
wait_log du "Connection received on \('::ffff:$KERNEL_IP'" 5 || { show_log du; fail "UDP peer not IPv4-mapped"; }
stop_bg du
say "dual-stack UDP ok"
exit 0
