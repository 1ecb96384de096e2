# tapir-nc over TCP against the kernel: data both ways, shutdown(SHUT_WR)
# seen as EOF by the kernel's peer, and the -z port check.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd socat nc
need_bin tapir-nc

new_ns ns k
ns_tap "$ns" tap0
head -c 200000 /dev/urandom >"$TMPD/data"

# tapir sends a file and shuts down its sending half: socat -u sees EOF,
# writes the file and exits (closing its side), then tapir-nc exits 0.
start_bg ks ip netns exec "$ns" socat -u TCP-LISTEN:7001,bind=$KERNEL_IP,reuseaddr OPEN:"$TMPD/got",creat
wait_port "$ns" tcp 7001
out=$(timeout 20 ip netns exec "$ns" "$BIN/tapir-nc" "${TAPIR_DEV[@]}" -w 10 $KERNEL_IP 7001 <"$TMPD/data" 2>&1)
rc=$?
skip_without_tcp "$out"
[ $rc -eq 0 ] || fail "tapir-nc exited $rc: $out"
wait_for 5 cmp -s "$TMPD/data" "$TMPD/got" || fail "the kernel did not get the whole file"
wait_for 5 bash -c "! kill -0 $(pid_of ks) 2>/dev/null" || fail "socat did not see EOF (half-close)"

# the kernel sends, tapir-nc -l receives and exits at the kernel's EOF
start_bg tl bash -c "exec ip netns exec $ns $BIN/tapir-nc ${TAPIR_DEV[*]} -l -v 7002 >$TMPD/got2 </dev/null"
wait_log tl "Listening on" 10 || { show_log tl; fail "tapir-nc -l"; }
timeout 20 ip netns exec "$ns" nc -N -w 5 $TAPIR_IP 7002 <"$TMPD/data" || fail "kernel nc exited $?"
wait_for 10 cmp -s "$TMPD/data" "$TMPD/got2" || { show_log tl; fail "tapir-nc -l did not get the whole file"; }
stop_bg tl

# -z: an open port, then a closed one
start_bg kl ip netns exec "$ns" socat TCP-LISTEN:7003,bind=$KERNEL_IP,reuseaddr,fork EXEC:cat
wait_port "$ns" tcp 7003
out=$(tapir_in "$ns" tapir-nc -z -v -w 3 $KERNEL_IP 7003 2>&1) || fail "-z on an open port: $out"
grep -q "Connection to $KERNEL_IP 7003 port \[tcp/\*\] succeeded!" <<<"$out" || fail "-z -v line: $out"
tapir_in "$ns" tapir-nc -z -w 3 $KERNEL_IP 7004 && fail "-z on a closed port said open"
stop_bg kl
say "tapir-nc TCP ok"
exit 0
