# UDP both ways between tapir-nc and the kernel (nc, socat) over a TAP.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd nc socat
need_bin tapir-nc

new_ns ns k
ns_tap "$ns" tap0

# kernel -> tapir: tapir-nc -u -l prints the datagram the kernel's nc sends.
start_bg tl bash -c "exec ip netns exec $ns $BIN/tapir-nc ${TAPIR_DEV[*]} -u -l -v 9000 </dev/null"
wait_log tl "Listening on" 10 || { show_log tl; fail "tapir-nc -u -l did not come up"; }
sleep 0.2
echo "hello tapir, from the kernel" | ip netns exec "$ns" nc -u -w 1 -q 1 "$TAPIR_IP" 9000
wait_log tl "hello tapir, from the kernel" 5 || { show_log tl; fail "tapir did not get the kernel's datagram"; }
stop_bg tl

# tapir -> kernel: socat receives what tapir-nc -u sends.
start_bg kr ip netns exec "$ns" socat -u UDP-RECV:9001,bind=$KERNEL_IP OPEN:"$TMPD/udp.out",creat,append
wait_port "$ns" udp 9001
printf 'hello kernel, from tapir\n' | ip netns exec "$ns" "$BIN/tapir-nc" "${TAPIR_DEV[@]}" -s -u -w 1 "$KERNEL_IP" 9001 \
    2>"$TMPD/nc.counters" || fail "tapir-nc -u exited $?"
wait_for 5 grep -q "hello kernel, from tapir" "$TMPD/udp.out" ||
    { show_log kr; grep -i -E 'arp|frames|udp' "$TMPD/nc.counters"; fail "the kernel did not get tapir's datagram"; }
stop_bg kr

# A datagram larger than the MTU, both ways (fragmented by the sender, reassembled by the receiver).
head -c 6000 /dev/urandom | base64 -w0 >"$TMPD/big.txt"
start_bg kb ip netns exec "$ns" socat -u UDP-RECV:9002,bind=$KERNEL_IP OPEN:"$TMPD/big.out",creat
wait_port "$ns" udp 9002
ip netns exec "$ns" "$BIN/tapir-nc" "${TAPIR_DEV[@]}" -u -w 1 "$KERNEL_IP" 9002 <"$TMPD/big.txt" || fail "tapir-nc big"
wait_for 5 cmp -s "$TMPD/big.txt" "$TMPD/big.out" || fail "the 8 KB datagram did not arrive whole at the kernel"
stop_bg kb
say "UDP both ways ok"
exit 0
