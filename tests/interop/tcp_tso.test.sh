# TCP through the TAP's offloads (--offload: IFF_VNET_HDR, TSO4/TSO6 and
# checksum offload).  tapir -> kernel: 100 MB in TSO super-segments (one
# write() carries up to 64 KB; the kernel cuts nothing, it takes the GSO
# packet whole), sha256 equal, and tapir's counters must show the trains;
# kernel -> tapir: 100 MB in the kernel's 64 KB GSO frames, sha256 equal, and
# the frames tapir read must average more than one MTU.  Then both again over
# IPv6, and 10 MB from tapir through 2% loss both ways (tapir's fault
# injector, which cuts the trains and drops their segments one by one, as
# the wire would): loss recovery with trains against Linux.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
source "$(dirname "$0")/ip6_lib.sh"
need_root
need_cmd socat nc sha256sum
need_bin tapir-nc

new_ns ns k
ns_tap6 "$ns" tap0
MB=${TAPIR_TCP_BULK_MB:-100}
# -s: tapir-nc prints its stack's counters at exit (netstat -s style).
DEV=("${TAPIR_DEV6[@]}" --config dad=0 --offload -s)

counter() { # FILE TEXT: the value of the counter line whose description starts with TEXT (0 if absent)
    local v
    v=$(grep -E "^ +[0-9]+ $2" "$1" | head -1 | awk '{print $1}')
    echo "${v:-0}"
}

# check_trains LABEL: tapir sent most of its data in TSO trains.
check_trains() {
    local f=$TMPD/bulk.tx.out trains segs all refused
    trains=$(counter "$f" "TCP super-segments sent")
    segs=$(counter "$f" "TCP segments sent inside TSO trains")
    all=$(counter "$f" "TCP segments sent$")
    refused=$(counter "$f" "TCP trains ")
    say "$1: $trains TSO trains carried $segs of $all segments ($refused refused)"
    [ "$trains" -gt 0 ] || { cat "$f"; fail "$1: no TSO super-segment went out"; }
    # 100 MB is ~72,000 full segments; at least half of them in trains, and
    # trains of several segments on average.
    [ $((2 * segs)) -ge "$all" ] || { cat "$f"; fail "$1: only $segs of $all segments in trains"; }
    [ "$segs" -ge $((4 * trains)) ] || { cat "$f"; fail "$1: trains of fewer than 4 segments on average"; }
}

# check_gro LABEL: the frames tapir read were the kernel's super-frames.
check_gro() {
    local f frames bytes
    f=$(log_of bulk_tl)
    frames=$(counter "$f" "frames received")
    bytes=$(counter "$f" "bytes received")
    say "$1: tapir read $frames frames, $bytes bytes"
    [ "$frames" -gt 0 ] && [ "$bytes" -gt $((frames * 1514)) ] ||
        { cat "$f"; fail "$1: the kernel's frames were not larger than one MTU on average"; }
}

tcp_bulk_both_ways "$ns" "$MB" 7401 $KERNEL_IP $TAPIR_IP "${DEV[@]}"
check_trains "IPv4, tapir -> kernel"
check_gro "IPv4, kernel -> tapir"

tcp_bulk_both_ways "$ns" "$MB" 7411 $KERNEL_IP6 $TAPIR_IP6 "${DEV[@]}"
check_trains "IPv6, tapir -> kernel"
check_gro "IPv6, kernel -> tapir"

head -c $((10 << 20)) /dev/urandom >"$TMPD/lossy"
want=$(sha256sum <"$TMPD/lossy" | cut -d' ' -f1)
start_bg kl ip netns exec "$ns" socat -u TCP-LISTEN:7421,bind=$KERNEL_IP,reuseaddr OPEN:"$TMPD/got3",creat
wait_port "$ns" tcp 7421
ip netns exec "$ns" timeout 180 "$BIN/tapir-nc" "${DEV[@]}" --drop 0.02 -w 30 $KERNEL_IP 7421 \
    <"$TMPD/lossy" >"$TMPD/bulk.tx.out" 2>&1 || { cat "$TMPD/bulk.tx.out"; fail "tapir-nc through 2% loss exited $?"; }
wait_for 30 bash -c "! kill -0 $(pid_of kl) 2>/dev/null" || fail "socat did not see tapir's FIN through loss"
got=$(sha256sum <"$TMPD/got3" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "through 2% loss: sha256 differs ($(stat -c %s "$TMPD/got3") bytes arrived)"
rtx=$(counter "$TMPD/bulk.tx.out" "TCP segments retransmitted")
trains=$(counter "$TMPD/bulk.tx.out" "TCP super-segments sent")
say "10 MB through 2% loss with offloads: sha256 equal, $trains TSO trains, $rtx retransmissions"
[ "$trains" -gt 0 ] && [ "$rtx" -gt 0 ] || { cat "$TMPD/bulk.tx.out"; fail "no trains or no loss recovery"; }
exit 0
