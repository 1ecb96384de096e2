# The libpcap driver: tapir on one end of a veth pair (namespace t), the
# kernel on the other (namespace k, 198.18.0.1).  Kernel ping (small and
# 4000-byte, fragmented both ways), then tapir-ping, all answered.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ping
need_bin tapir-up tapir-ping

new_ns nk k
new_ns nt t
veth_pair "$nk" veth0 "$nt" veth1
ip -n "$nk" addr add $KERNEL_IP/24 dev veth0

start_bg up ip netns exec "$nt" "$BIN/tapir-up" --pcap veth1 --addr $TAPIR_IP/24 --time 60
wait_log up "tapir-up: up" 10 || { show_log up; fail "tapir-up did not come up on pcap"; }
out=$(ip netns exec "$nk" ping -c 20 -i 0.05 -W 2 $TAPIR_IP 2>&1)
echo "$out"
expect_ping_ok "$out" 20 || { show_log up; fail "kernel ping over pcap: not all answered"; }
out=$(ip netns exec "$nk" ping -c 3 -i 0.1 -W 2 -s 4000 $TAPIR_IP 2>&1)
echo "$out"
expect_ping_ok "$out" 3 || { show_log up; fail "kernel 4000-byte ping over pcap: not all answered"; }
stop_bg up; rc=$?
[ $rc -eq 0 ] || { show_log up; fail "tapir-up exited with status $rc"; }
show_log up

out=$(timeout 60 ip netns exec "$nt" "$BIN/tapir-ping" --pcap veth1 --addr $TAPIR_IP/24 \
      -c 10 -i 0.05 -W 2 $KERNEL_IP 2>&1)
echo "$out"
expect_ping_ok "$out" 10 || fail "tapir-ping over pcap: not all answered"
out=$(timeout 60 ip netns exec "$nt" "$BIN/tapir-ping" --pcap veth1 --addr $TAPIR_IP/24 \
      -c 3 -i 0.1 -W 2 -s 4000 $KERNEL_IP 2>&1)
echo "$out"
expect_ping_ok "$out" 3 || fail "tapir-ping 4000 bytes over pcap: not all answered"
exit 0
