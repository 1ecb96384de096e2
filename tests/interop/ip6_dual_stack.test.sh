# A dual-stack tapir TCP listener (bound to ::, IPV6_V6ONLY off as on Linux)
# takes an IPv4 and an IPv6 kernel client; the IPv4 peer reads as
# ::ffff:198.18.0.1; the same for a UDP socket on ::.  The other way: a
# tapir AF_INET6 client reaches the kernel's IPv4-only TCP and UDP servers
# named ::ffff:198.18.0.1 (it speaks IPv4 to them).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ip6_lib.sh"
need_root
need_cmd nc socat sha256sum
need_bin tapir-nc tapir-echo-client

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

# ---- tapir AF_INET6 client -> the kernel's IPv4-only servers, by mapped address
nc6() { ip netns exec "$ns" "$BIN/tapir-nc" "${DEV[@]}" "$@"; }
start_bg k4 ip netns exec "$ns" socat -d -d -u "TCP4-LISTEN:7210,bind=$KERNEL_IP,reuseaddr" \
    OPEN:"$TMPD/m.out",creat
wait_port "$ns" tcp 7210
echo "hello over a mapped address" | timeout 30 ip netns exec "$ns" "$BIN/tapir-nc" "${DEV[@]}" -w 5 \
    "::ffff:$KERNEL_IP" 7210 \
    || { show_log k4; fail "tapir-nc to ::ffff:$KERNEL_IP exited $?"; }
wait_for 10 grep -q "hello over a mapped address" "$TMPD/m.out" || { show_log k4; fail "no data at the IPv4 server"; }
wait_log k4 "accepting connection from AF=2 $TAPIR_IP:" 5 \
    || { show_log k4; fail "the kernel should see an IPv4 client $TAPIR_IP"; }
stop_bg k4
# 10 MB the same way, to the kernel's nc, sha256 equal.
head -c $((10 << 20)) /dev/urandom >"$TMPD/m.data"
start_bg kn bash -c "exec ip netns exec $ns nc -4 -l $KERNEL_IP 7211 >$TMPD/m.got </dev/null"
wait_port "$ns" tcp 7211
timeout 60 ip netns exec "$ns" "$BIN/tapir-nc" "${DEV[@]}" -w 20 "::ffff:$KERNEL_IP" 7211 <"$TMPD/m.data" \
    || fail "tapir-nc 10 MB to ::ffff:$KERNEL_IP exited $?"
wait_for 20 bash -c "! kill -0 $(pid_of kn) 2>/dev/null" || true
stop_bg kn
[ "$(sha256sum <"$TMPD/m.got" | cut -d' ' -f1)" = "$(sha256sum <"$TMPD/m.data" | cut -d' ' -f1)" ] \
    || fail "10 MB to the mapped address: sha256 differs ($(stat -c %s "$TMPD/m.got") bytes arrived)"
say "tapir AF_INET6 TCP client to ::ffff:$KERNEL_IP ok (10 MB sha256 equal)"
start_bg ku ip netns exec "$ns" socat -u "UDP4-RECV:9310,bind=$KERNEL_IP" OPEN:"$TMPD/mu.out",creat
wait_port "$ns" udp 9310
echo "datagram to a mapped address" | nc6 -u -w 1 "::ffff:$KERNEL_IP" 9310 || fail "tapir-nc -u to mapped exited $?"
wait_for 5 grep -q "datagram to a mapped address" "$TMPD/mu.out" || { show_log ku; fail "the IPv4 UDP server got nothing"; }
stop_bg ku
say "tapir AF_INET6 UDP socket to ::ffff:$KERNEL_IP ok"

# ---- the Python docs' getaddrinfo echo client over IPv6: tapir-echo-client
# --dual resolves the kernel's IPv6 literal to an AF_INET6 sockaddr
start_bg ke ip netns exec "$ns" socat "TCP6-LISTEN:50019,bind=[$KERNEL_IP6],reuseaddr,fork" EXEC:cat
wait_port "$ns" tcp 50019
out=$(timeout 30 ip netns exec "$ns" "$BIN/tapir-echo-client" "${DEV[@]}" --dual --port 50019 "$KERNEL_IP6" \
      </dev/null 2>&1)
[ "$out" = "Received b'Hello, world'" ] || { show_log ke; fail "tapir-echo-client --dual to $KERNEL_IP6 printed '$out'"; }
stop_bg ke
say "getaddrinfo echo client over IPv6 ok"
exit 0
