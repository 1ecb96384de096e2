# The TAP driver's offload settings.  With --offload (IFF_VNET_HDR +
# TUNSETOFFLOAD CSUM|TSO4|TSO6) the kernel hands over UDP with partial
# checksums (virtio NEEDS_CSUM) that the driver finishes; pings still work.
# Then tapir reopens the same TAP without offloads: the driver must clear them
# (they persist on the device), or the kernel's UDP would arrive with
# unfinished checksums and be dropped.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ping python3
need_bin tapir-up tapir-udp-echo

new_ns ns k
ns_tap "$ns" tap0

udp_round_trip() { # label: 20 datagrams (1400 bytes) through tapir's UDP echo, all must come back
    local got
    got=$(ip netns exec "$ns" python3 - "$1" $TAPIR_IP <<'PY'
import socket, sys
label, ip = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
got = 0
for i in range(20):
    msg = (f"hello {label} {i} " * 100)[:1400].encode()
    s.sendto(msg, (ip, 7))
    try:
        data, _ = s.recvfrom(4096)
        got += data == msg
    except socket.timeout:
        pass
print(got)
PY
)
    echo "$1: ${got:-0} of 20 echoed"
    [ "${got:-0}" -eq 20 ]
}

for mode in offload plain offload-again plain-again; do
    case $mode in offload*) flag=--offload ;; *) flag= ;; esac
    start_bg echo ip netns exec "$ns" "$PROGS/tapir-udp-echo" --tap tap0 --addr $TAPIR_IP/24 $flag --time 60
    wait_log echo "listening on 7" 10 || { show_log echo; fail "$mode: the echo server did not start"; }
    out=$(ip netns exec "$ns" ping -c 3 -i 0.1 -W 2 -s 3000 $TAPIR_IP 2>&1)
    expect_ping_ok "$out" 3 || { echo "$out"; show_log echo; fail "$mode: ping"; }
    udp_round_trip "$mode" || { show_log echo; fail "$mode: UDP echo"; }
    stop_bg echo; rc=$?
    [ $rc -eq 0 ] || { show_log echo; fail "$mode: exit status $rc"; }
    grep -Eq "UDP dropped: short, bad length or bad checksum" "$(log_of echo)" && \
        { show_log echo; fail "$mode: tapir dropped UDP for bad checksums"; }
done
exit 0
