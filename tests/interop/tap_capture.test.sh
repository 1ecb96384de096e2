# tapir's pcap writer and tracer: tcpdump -r reads our capture back and shows
# the ARP exchange and the ICMP echoes; the trace shows them too.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ping tcpdump
need_bin tapir-up

new_ns ns k
ns_tap "$ns" tap0
cap=$TMPD/capture.pcap
start_bg up ip netns exec "$ns" "$BIN/tapir-up" --tap tap0 --addr $TAPIR_IP/24 \
      --capture "$cap" --trace --time 60
wait_log up "tapir-up: up" 10 || { show_log up; fail "tapir-up did not come up"; }
out=$(ip netns exec "$ns" ping -c 3 -i 0.1 -W 2 $TAPIR_IP 2>&1)
expect_ping_ok "$out" 3 || { echo "$out"; show_log up; fail "ping failed"; }
stop_bg up; rc=$?
[ $rc -eq 0 ] || { show_log up; fail "tapir-up exited with status $rc"; }

dump=$(tcpdump -nr "$cap" 2>&1)
echo "$dump"
grep -q "ARP, Request who-has $TAPIR_IP tell $KERNEL_IP" <<<"$dump" || fail "no ARP request in the capture"
grep -q "ARP, Reply $TAPIR_IP is-at" <<<"$dump" || fail "no ARP reply in the capture"
[ "$(grep -c "IP $KERNEL_IP > $TAPIR_IP: ICMP echo request" <<<"$dump")" -eq 3 ] || fail "3 echo requests"
[ "$(grep -c "IP $TAPIR_IP > $KERNEL_IP: ICMP echo reply" <<<"$dump")" -eq 3 ] || fail "3 echo replies"
if command -v tshark >/dev/null; then
    tshark -r "$cap" >/dev/null 2>&1 || fail "tshark cannot read the capture"
fi

log=$(log_of up)
grep -Eq "^[0-9]+\.[0-9]{6} rx ARP, Request who-has $TAPIR_IP tell $KERNEL_IP, length 28$" "$log" || { show_log up; fail "trace: ARP request"; }
grep -Eq "^[0-9]+\.[0-9]{6} tx ARP, Reply $TAPIR_IP is-at " "$log" || fail "trace: ARP reply"
[ "$(grep -Ec " tx IP $TAPIR_IP > $KERNEL_IP: ICMP echo reply, id [0-9]+, seq [1-3], length 64$" "$log")" -eq 3 ] \
    || { show_log up; fail "trace: 3 echo replies"; }
exit 0
