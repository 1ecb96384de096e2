# A dual-stack tapir TCP listener (bound to ::, IPV6_V6ONLY off as on Linux)
# takes an IPv4 and an IPv6 kernel client; the IPv4 peer reads as
# ::ffff:198.18.0.1.  (TCP only: UDP sockets are not dual-stack yet.)
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
say "dual-stack listener ok"
exit 0
