# ECN (RFC 3168) between tapir and the kernel over a TAP, both directions.
#
# This kernel has no ECN-marking qdisc (no fq_codel, red or pie), so the
# congested router is tapir's fault injector on the same link: it marks a
# share of the ECN-capable packets CE, as an AQM would instead of dropping
# them.  tcpdump on the kernel's side of the TAP sees the real wire and
# proves each step of the protocol:
#   kernel -> tapir (kernel asks, tcp_ecn=1; tapir accepts, its default 2):
#     ECN-setup SYN and SYN-ACK, the kernel's data ECT(0), marks on tapir's
#     receive side, tapir's ACKs echoing ECE, the kernel answering with CWR;
#   tapir -> kernel (tapir asks through net.ipv4.tcp_ecn=1 in its
#     configuration; the kernel accepts, its default 2): tapir's data ECT(0),
#     CE marks on tapir's send side, the kernel's ECE, tapir's CWR.
# Data intact both ways (sha256).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd socat nc sha256sum tcpdump
need_bin tapir-nc

new_ns ns k
ns_tap "$ns" tap0
MB=${TAPIR_TCP_ECN_MB:-20}
head -c $((MB << 20)) /dev/urandom >"$TMPD/data"
want=$(sha256sum <"$TMPD/data" | cut -d' ' -f1)

# wire PCAP: the first packets of a capture with their TOS bytes, to show why a check failed.
wire() { echo "--- the first packets of $1 ---"; tcpdump -nvr "$1" 2>/dev/null | head -n 24; echo "---"; }
# count PCAP FILTER: packets of the capture matching a tcpdump filter.
count() { tcpdump -nr "$1" "$2" 2>/dev/null | wc -l; }
capture() { # NAME FILTER: tcpdump on the kernel's side of the TAP, headers only
    start_bg "$1" ip netns exec "$ns" tcpdump -i tap0 -s 128 -U -w "$TMPD/$1.pcap" "$2"
    wait_log "$1" "listening on" 10 || { show_log "$1"; fail "tcpdump did not start"; }
}
SYN_ECN='tcp[13] & 0xd2 == 0xc2'      # SYN, ECE, CWR, no ACK
SYNACK_ECN='tcp[13] & 0xd2 == 0x52'   # SYN, ACK, ECE, no CWR
ECT0='ip[1] & 3 == 2'
CE='ip[1] & 3 == 3'
ECE='tcp[13] & 0x42 == 0x40'          # ECE on a non-SYN segment
CWR='tcp[13] & 0x80 != 0'

# ---- kernel -> tapir: the kernel asks for ECN, tapir marks what it receives
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_ecn=1 || fail "sysctl tcp_ecn=1 in $ns"
capture cap1 "tcp port 7301"
start_bg tl bash -c "exec ip netns exec $ns $BIN/tapir-nc ${TAPIR_DEV[*]} --config ce_rx=0.01 -l -v 7301 >$TMPD/got1 </dev/null"
wait_log tl "Listening on" 10 || { show_log tl; fail "tapir-nc -l did not come up"; }
timeout 120 ip netns exec "$ns" nc -N -w 30 $TAPIR_IP 7301 <"$TMPD/data" || fail "kernel nc exited $?"
wait_for 30 bash -c "! kill -0 $(pid_of tl) 2>/dev/null" || true
stop_bg tl
sleep 0.5
stop_bg cap1
got=$(sha256sum <"$TMPD/got1" | cut -d' ' -f1)
[ "$got" = "$want" ] || { show_log tl; fail "kernel -> tapir: sha256 differs"; }
P=$TMPD/cap1.pcap
[ "$(count "$P" "src $KERNEL_IP and $SYN_ECN")" -ge 1 ] || fail "kernel sent no ECN-setup SYN"
[ "$(count "$P" "src $TAPIR_IP and $SYNACK_ECN and not $ECT0 and not $CE")" -eq 1 ] ||
    fail "tapir did not answer with one Not-ECT ECN-setup SYN-ACK (ECE, no CWR)"
kdata=$(count "$P" "src $KERNEL_IP and $ECT0 and tcp[13] & 0x02 == 0")
[ "$kdata" -gt 1000 ] || fail "the kernel's data was not ECT(0) ($kdata packets)"
echoes=$(count "$P" "src $TAPIR_IP and $ECE")
[ "$echoes" -ge 1 ] || fail "tapir never echoed ECE for the CE marks on its side"
[ "$(count "$P" "src $TAPIR_IP and ($ECT0 or $CE)")" -eq 0 ] || fail "tapir's pure ACKs must be Not-ECT"
cwrs=$(count "$P" "src $KERNEL_IP and $CWR and tcp[13] & 0x02 == 0")
[ "$cwrs" -ge 1 ] || fail "the kernel never answered tapir's ECE with CWR"
say "kernel -> tapir $MB MB: ECN negotiated, $kdata ECT(0) data packets, $echoes ACKs with ECE, $cwrs CWRs from Linux; sha256 equal"

# ---- tapir -> kernel: tapir asks for ECN, its own CE marks reach the kernel
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_ecn=2 || fail "sysctl tcp_ecn=2 in $ns"
capture cap2 "tcp port 7302"
start_bg ks ip netns exec "$ns" socat -u TCP-LISTEN:7302,bind=$KERNEL_IP,reuseaddr OPEN:"$TMPD/got2",creat
wait_port "$ns" tcp 7302
out=$(timeout 120 ip netns exec "$ns" "$BIN/tapir-nc" "${TAPIR_DEV[@]}" \
    --config "net.ipv4.tcp_ecn=1 ce_tx=0.01" -w 30 $KERNEL_IP 7302 <"$TMPD/data" 2>&1)
rc=$?
skip_without_tcp "$out"
[ $rc -eq 0 ] || fail "tapir-nc -> kernel exited $rc: $out"
wait_for 20 bash -c "! kill -0 $(pid_of ks) 2>/dev/null" || fail "socat did not see tapir's FIN"
sleep 0.5
stop_bg cap2
got=$(sha256sum <"$TMPD/got2" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "tapir -> kernel: sha256 differs"
P=$TMPD/cap2.pcap
[ "$(count "$P" "src $TAPIR_IP and $SYN_ECN and not $ECT0 and not $CE")" -eq 1 ] ||
    fail "tapir did not send one Not-ECT ECN-setup SYN"
[ "$(count "$P" "src $KERNEL_IP and $SYNACK_ECN")" -ge 1 ] || fail "the kernel did not accept ECN"
tdata=$(count "$P" "src $TAPIR_IP and $ECT0")
marked=$(count "$P" "src $TAPIR_IP and $CE")
[ "$tdata" -gt 1000 ] || { wire "$P"; fail "tapir's data was not ECT(0) ($tdata packets)"; }
[ "$marked" -ge 1 ] || fail "no CE marks on tapir's data (the fault injector's ce_tx)"
echoes=$(count "$P" "src $KERNEL_IP and $ECE")
[ "$echoes" -ge 1 ] || fail "the kernel never echoed ECE"
cwrs=$(count "$P" "src $TAPIR_IP and $CWR")
[ "$cwrs" -ge 1 ] || fail "tapir never sent CWR after the kernel's ECE"
say "tapir -> kernel $MB MB: ECN negotiated, $tdata ECT(0) + $marked CE data packets, $echoes ECEs from Linux, $cwrs CWRs from tapir; sha256 equal"
exit 0
