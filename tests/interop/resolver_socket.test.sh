# Socket calls with host names (Python's connect(('name', port)) & co):
# sendto, connect and bind resolve through tapir's resolver (dnsmasq on the
# kernel side), an unknown name is gaierror -2, and a name whose server never
# answers fails within the socket's own timeout.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd dnsmasq socat python3
need_bin resolver_sock
here=$(cd "$(dirname "$0")" && pwd)
new_ns ns k
ns_tap "$ns" tap0
echo "$KERNEL_IP echo.example.test" >"$TMPD/records"
start_bg dns ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --addn-hosts="$TMPD/records" --listen-address=$KERNEL_IP --bind-interfaces --interface=tap0 \
    --user=root --pid-file= --log-queries --log-facility=- --local=/test/
start_bg uecho ip netns exec "$ns" socat UDP4-RECVFROM:7777,bind=$KERNEL_IP,fork PIPE
start_bg techo ip netns exec "$ns" socat TCP4-LISTEN:7778,bind=$KERNEL_IP,reuseaddr,fork PIPE
start_bg bad ip netns exec "$ns" python3 "$here/resolver_hostile_server.py" $KERNEL_IP 5301 hostile
wait_log dns "read .*records" 5 || { show_log dns; fail "dnsmasq did not start"; }
wait_log bad listening 5 || fail "hostile server did not start"
sleep 0.3

out=$(ip netns exec "$ns" timeout 30 "$PROGS/resolver_sock" --tap tap0 --addr $TAPIR_IP/24 --dns $KERNEL_IP normal 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { show_log dns; fail "name resolution in socket calls"; }
out=$(ip netns exec "$ns" timeout 30 "$PROGS/resolver_sock" --tap tap0 --addr $TAPIR_IP/24 \
      --dns "$KERNEL_IP#5301" silent silent.hostile.test 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "the socket's timeout should bound the lookup"
kill -TERM "$(pid_of dns)" "$(pid_of uecho)" "$(pid_of techo)" 2>/dev/null
exit 0
