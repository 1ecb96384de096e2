# The Python docs' echo examples on tapir against the kernel: tapir's echo
# server with socat / nc as the client, and tapir's echo client against a
# kernel echo server; the IPv4 and the getaddrinfo (dual-stack) variants.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd socat nc
need_bin tapir-echo-server tapir-echo-client

new_ns ns k
ns_tap "$ns" tap0

for variant in "" --dual; do
    start_bg srv bash -c "exec ip netns exec $ns $BIN/tapir-echo-server ${TAPIR_DEV[*]} $variant --port 50007 </dev/null"
    if ! wait_log srv "listening on" 10; then
        skip_without_tcp "$(cat "$(log_of srv)")"
        show_log srv
        fail "tapir-echo-server $variant did not listen"
    fi
    out=$(printf 'Hello, world' | timeout 10 ip netns exec "$ns" socat -t 2 - TCP:$TAPIR_IP:50007)
    [ "$out" = "Hello, world" ] || { show_log srv; fail "socat got '$out' back from tapir-echo-server $variant"; }
    wait_for 5 grep -q "^Connected by ('$KERNEL_IP', [0-9]*)$" "$(log_of srv)" || { show_log srv; fail "no 'Connected by' line"; }
    stop_bg srv
done

# nc as the client (openbsd nc; -N: shut the socket down at the end of stdin)
start_bg srv bash -c "exec ip netns exec $ns $BIN/tapir-echo-server ${TAPIR_DEV[*]} --port 50008 </dev/null"
wait_log srv "listening on" 10 || fail "server"
out=$(printf 'from nc\n' | timeout 20 ip netns exec "$ns" nc -N -w 10 $TAPIR_IP 50008)
[ "$out" = "from nc" ] || { show_log srv; fail "nc got '$out'"; }
stop_bg srv

# the kernel serves, tapir's client asks
start_bg kecho ip netns exec "$ns" socat TCP-LISTEN:50009,bind=$KERNEL_IP,reuseaddr,fork EXEC:cat
wait_port "$ns" tcp 50009
for variant in "" --dual; do
    out=$(tapir_in "$ns" tapir-echo-client $variant --port 50009 $KERNEL_IP 2>&1)
    echo "$out"
    skip_without_tcp "$out"
    [ "$out" = "Received b'Hello, world'" ] || fail "tapir-echo-client $variant printed '$out'"
done
out=$(tapir_in "$ns" tapir-echo-client --port 50009 $KERNEL_IP "it's \"quoted\"" 2>&1)
[ "$out" = "Received b'it\\'s \"quoted\"'" ] || fail "bytes repr: '$out'"
stop_bg kecho

# a closed port: the kernel answers RST, the client reports Python's error
out=$(tapir_in "$ns" tapir-echo-client --port 50010 $KERNEL_IP 2>&1)
echo "$out"
grep -q "ConnectionRefusedError: \[Errno 111\] Connection refused" <<<"$out" || fail "refused: '$out'"
say "echo examples ok"
exit 0
