# UDP over the libpcap driver on a veth pair: the kernel sends datagrams to
# tapir's UDP echo server (tests/progs/tapir-udp-echo), small and past the MTU
# (fragmented), and gets each one back.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd python3
need_bin tapir-udp-echo

new_ns nk k
new_ns nt t
veth_pair "$nk" veth0 "$nt" veth1
ip -n "$nk" addr add $KERNEL_IP/24 dev veth0
start_bg echo ip netns exec "$nt" "$PROGS/tapir-udp-echo" --pcap veth1 --addr $TAPIR_IP/24 --time 60
wait_log echo "listening on 7" 10 || { show_log echo; fail "the echo server did not start"; }
got=$(ip netns exec "$nk" python3 - $TAPIR_IP <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
got = 0
for i, size in enumerate([1, 100, 1472, 1473, 4000, 8000] * 3):
    msg = bytes((i + k) & 255 for k in range(size))
    s.sendto(msg, (sys.argv[1], 7))
    try:
        data, _ = s.recvfrom(65536)
        got += data == msg
    except socket.timeout:
        pass
print(got)
PY
)
echo "${got:-0} of 18 datagrams echoed"
[ "${got:-0}" -eq 18 ] || { show_log echo; fail "not all datagrams came back"; }
stop_bg echo; rc=$?
[ $rc -eq 0 ] || { show_log echo; fail "exit status $rc"; }
exit 0
