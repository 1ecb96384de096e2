# UDP and TCP over IPv6 between tapir-nc and the kernel on a TAP: UDP both
# ways (and an 8 KB datagram, fragmented), TCP 20 MB each way with sha256
# equal.  (The dual-stack listener is ip6_dual_stack.test.sh.)
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
sleep 0.3
printf 'hello kernel over IPv6\n' | nc6 -u -w 1 "$KERNEL_IP6" 9001 || fail "tapir-nc -u exited $?"
wait_for 5 grep -q "hello kernel over IPv6" "$TMPD/udp.out" || { show_log kr; fail "kernel did not get tapir's datagram"; }
stop_bg kr
head -c 6000 /dev/urandom | base64 -w0 >"$TMPD/big.txt"
start_bg kb ip netns exec "$ns" socat -u "UDP6-RECV:9002,bind=[$KERNEL_IP6]" OPEN:"$TMPD/big.out",creat
sleep 0.3
nc6 -u -w 1 "$KERNEL_IP6" 9002 <"$TMPD/big.txt" || fail "tapir-nc big"
wait_for 5 cmp -s "$TMPD/big.txt" "$TMPD/big.out" || fail "the 8 KB datagram did not arrive whole"
stop_bg kb
say "UDP over IPv6 both ways ok"

# ---- TCP, 20 MB each way, sha256 equal
head -c $((20 << 20)) /dev/urandom >"$TMPD/data"
want=$(sha256sum <"$TMPD/data" | cut -d' ' -f1)
start_bg ks ip netns exec "$ns" socat -u "TCP6-LISTEN:7101,bind=[$KERNEL_IP6],reuseaddr" OPEN:"$TMPD/got1",creat
sleep 0.3
out=$(timeout 120 ip netns exec "$ns" "$BIN/tapir-nc" "${DEV[@]}" -w 20 "$KERNEL_IP6" 7101 <"$TMPD/data" 2>&1)
rc=$?
grep -q "Errno 93\] Protocol not supported" <<<"$out" && skip "no TCP engine in this build"
[ $rc -eq 0 ] || fail "tapir-nc -> kernel exited $rc: $out"
wait_for 10 bash -c "! kill -0 $(pid_of ks) 2>/dev/null" || fail "socat did not see EOF"
got=$(sha256sum <"$TMPD/got1" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "tapir -> kernel: sha256 differs ($(stat -c %s "$TMPD/got1") bytes arrived)"
say "TCP tapir -> kernel 20 MB over IPv6: sha256 equal"

start_bg tl bash -c "exec ip netns exec $ns $BIN/tapir-nc ${DEV[*]} -6 -l -v 7102 >$TMPD/got2 </dev/null"
wait_log tl "Listening on" 10 || { show_log tl; fail "tapir-nc -6 -l"; }
timeout 120 ip netns exec "$ns" nc -6 -N -w 10 "$TAPIR_IP6" 7102 <"$TMPD/data" || fail "kernel nc exited $?"
wait_for 20 bash -c "! kill -0 $(pid_of tl) 2>/dev/null" || true
stop_bg tl
got=$(sha256sum <"$TMPD/got2" | cut -d' ' -f1)
[ "$got" = "$want" ] || { show_log tl; fail "kernel -> tapir: sha256 differs ($(stat -c %s "$TMPD/got2") bytes arrived)"; }
say "TCP kernel -> tapir 20 MB over IPv6: sha256 equal"

exit 0
