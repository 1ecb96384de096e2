# UDP and TCP over IPv6 between tapir-nc and the kernel on a TAP: UDP both
# ways (and an 8 KB datagram, fragmented), TCP between link-local addresses
# both ways (scope ids), TCP 100 MB each way with sha256 equal.  (The dual-stack listener is ip6_dual_stack.test.sh.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ip6_lib.sh"
need_root
need_cmd nc socat sha256sum
need_bin tapir-nc

new_ns ns k
ns_tap6 "$ns" tap0
# dad=0: each tapir-nc run is a fresh stack; its address is usable at once.
DEV=("${TAPIR_DEV6[@]}" --config dad=0)
nc6() { ip netns exec "$ns" "$BIN/tapir-nc" "${DEV[@]}" "$@"; }

# ---- UDP, kernel -> tapir
start_bg tl bash -c "exec ip netns exec $ns $BIN/tapir-nc ${DEV[*]} -6 -u -l -v 9000 </dev/null"
wait_log tl "Listening on" 10 || { show_log tl; fail "tapir-nc -6 -u -l did not come up"; }
sleep 0.3
echo "hello tapir over IPv6" | ip netns exec "$ns" nc -6 -u -w 1 -q 1 "$TAPIR_IP6" 9000
wait_log tl "hello tapir over IPv6" 5 || { show_log tl; fail "tapir did not get the kernel's IPv6 datagram"; }
stop_bg tl

# ---- UDP, tapir -> kernel, small and 8 KB (fragmented by tapir)
start_bg kr ip netns exec "$ns" socat -u "UDP6-RECV:9001,bind=[$KERNEL_IP6]" OPEN:"$TMPD/udp.out",creat,append
wait_port "$ns" udp 9001
printf 'hello kernel over IPv6\n' | nc6 -u -w 1 "$KERNEL_IP6" 9001 || fail "tapir-nc -u exited $?"
wait_for 5 grep -q "hello kernel over IPv6" "$TMPD/udp.out" || { show_log kr; fail "kernel did not get tapir's datagram"; }
stop_bg kr
head -c 6000 /dev/urandom | base64 -w0 >"$TMPD/big.txt"
start_bg kb ip netns exec "$ns" socat -u "UDP6-RECV:9002,bind=[$KERNEL_IP6]" OPEN:"$TMPD/big.out",creat
wait_port "$ns" udp 9002
nc6 -u -w 1 "$KERNEL_IP6" 9002 <"$TMPD/big.txt" || fail "tapir-nc big"
wait_for 5 cmp -s "$TMPD/big.txt" "$TMPD/big.out" || fail "the 8 KB datagram did not arrive whole"
stop_bg kb
say "UDP over IPv6 both ways ok"

# ---- TCP over link-local addresses both ways: scope ids (tapir's interface is 1)
kll=$(ip -n "$ns" -6 addr show dev tap0 scope link | awk '/inet6/ {print $2}' | cut -d/ -f1 | head -1)
[ -n "$kll" ] || fail "the kernel has no link-local address on tap0"
start_bg kl ip netns exec "$ns" socat -u "TCP6-LISTEN:7150,bind=[$kll%tap0],reuseaddr" OPEN:"$TMPD/ll1.out",creat
wait_port "$ns" tcp 7150
echo "hello over link-local" | timeout 30 ip netns exec "$ns" "$BIN/tapir-nc" "${DEV[@]}" -w 5 "$kll%1" 7150 \
    || { show_log kl; fail "tapir-nc to $kll%1 exited $?"; }
wait_for 5 grep -q "hello over link-local" "$TMPD/ll1.out" || { show_log kl; fail "nothing arrived at $kll%tap0"; }
stop_bg kl
start_bg tll bash -c "exec ip netns exec $ns $BIN/tapir-nc ${DEV[*]} -6 -l -v 7151 >$TMPD/ll2.out </dev/null"
wait_log tll "Listening on" 10 || { show_log tll; fail "tapir-nc -6 -l"; }
echo "hello tapir over link-local" | timeout 30 ip netns exec "$ns" nc -6 -N -w 5 "$TAPIR_LL6%tap0" 7151 \
    || fail "kernel nc to $TAPIR_LL6%tap0 exited $?"
wait_for 5 grep -q "hello tapir over link-local" "$TMPD/ll2.out" || { show_log tll; fail "nothing arrived at tapir's link-local address"; }
wait_log tll "Connection received on \('$kll', [0-9]+, 0, 1\)" 5 \
    || { show_log tll; fail "the link-local peer should read ('$kll', port, 0, 1)"; }
stop_bg tll
say "TCP over link-local both ways ok (peer read with its scope id)"

# ---- TCP, 100 MB each way, sha256 equal (the same run as tcp_bulk.test.sh's
# over IPv4: compare the times it says)
tcp_bulk_both_ways "$ns" "${TAPIR_TCP_BULK_MB:-100}" 7101 $KERNEL_IP6 $TAPIR_IP6 "${DEV[@]}"
exit 0
