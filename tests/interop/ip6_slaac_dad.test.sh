# SLAAC: tapir forms its global address from router advertisements the
# kernel's side sends (radvd, Debian's router advertisement daemon; where it
# is missing, ip6_ra.py sends the same RA through the kernel's raw socket),
# and the kernel reaches it.  The prefix is advertised autonomous but NOT
# on-link (L = 0): tapir's replies to fd00:198:18::1 can only leave through
# the default router the RA named (the kernel's link-local address), so the
# pings prove tapir took it.  The RA's MTU (1400) is proven by tapir
# fragmenting a 1448-byte reply.  DAD: tapir is told to use an address the
# kernel already holds, finds it duplicate and never uses it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ip6_lib.sh"
need_root
need_cmd ping python3
need_bin tapir-up

new_ns ns k
ns_tap6 "$ns" tap0
SLAAC_IP6=fd00:198:18::ff:fe00:2   # the prefix + tapir's EUI-64 interface id

# ---- SLAAC
start_bg up ip netns exec "$ns" "$BIN/tapir-up" --tap tap0 --mac "$TAPIR_MAC6" --config eui64=1 --time 60
wait_log up "tapir-up: up" 10 || { show_log up; fail "tapir-up did not come up"; }
if command -v radvd >/dev/null; then
    how=radvd
    # A router forwards; radvd warns otherwise.  (This namespace only.)
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
    cat >"$TMPD/radvd.conf" <<CONF
interface tap0 {
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 4;
    AdvDefaultLifetime 1800;
    AdvLinkMTU 1400;
    prefix fd00:198:18::/64 {
        AdvOnLink off;
        AdvAutonomous on;
        AdvValidLifetime 86400;
        AdvPreferredLifetime 14400;
    };
};
CONF
    start_bg ra ip netns exec "$ns" radvd -n -m stderr -d 1 -C "$TMPD/radvd.conf" -p "$TMPD/radvd.pid"
else
    how="ip6_ra.py (no radvd here)"
    start_bg ra ip netns exec "$ns" python3 "$(dirname "$0")/ip6_ra.py" tap0 15 1
fi
wait_for 20 ip netns exec "$ns" ping -6 -c 1 -W 1 $SLAAC_IP6 \
    || { show_log ra; show_log up; fail "tapir's SLAAC address $SLAAC_IP6 never answered (RAs from $how)"; }
out=$(ip netns exec "$ns" ping -6 -c 5 -i 0.1 -W 2 $SLAAC_IP6 2>&1)
echo "$out"
expect_ping_ok "$out" 5 || fail "ping to the SLAAC address: not all answered"
out=$(ip netns exec "$ns" ping -6 -c 3 -i 0.2 -W 2 -s 1400 $SLAAC_IP6 2>&1)
echo "$out"
expect_ping_ok "$out" 3 || fail "ping -s 1400 to the SLAAC address: not all answered"
# tapir resolved the router (the kernel's link-local address), its next hop.
kll=$(ip -n "$ns" -6 addr show dev tap0 scope link | awk '/inet6/ {print $2}' | cut -d/ -f1 | head -1)
stop_bg ra
stop_bg up
show_log up
grep -Eq "^ +[1-9][0-9]* router advertisements received$" "$(log_of up)" || fail "no RA counted"
grep -Eq "^ +1 addresses formed by SLAAC$" "$(log_of up)" || fail "SLAAC should have formed one address"
n=$(grep -E "IPv6 fragments created$" "$(log_of up)" | awk '{print $1}')
[ "${n:-0}" -ge 6 ] || fail "the 1448-byte replies should leave in fragments at the RA's MTU 1400 (${n:-0} fragments)"
say "SLAAC from $how: $SLAAC_IP6 formed, reached; replies through the default router $kll; MTU 1400 applied"

# ---- DAD: the kernel already holds fd00:198:18::2
ip -n "$ns" -6 addr add "$TAPIR_IP6/64" dev tap0 nodad || fail "addr add $TAPIR_IP6 on the kernel side"
start_bg up2 ip netns exec "$ns" "$BIN/tapir-up" --tap tap0 --mac 02:00:00:00:00:03 --addr "$TAPIR_IP6/64" \
    --log 0 --time 60
wait_log up2 "tapir-up: up" 10 || { show_log up2; fail "tapir-up did not come up"; }
wait_log up2 "DAD failed" 10 || { show_log up2; fail "tapir did not detect the duplicate address"; }
# The kernel still owns the address: its neighbour entry for it is not tapir's.
neigh=$(ip -n "$ns" -6 neigh show dev tap0)
grep -qi "$TAPIR_IP6 lladdr 02:00:00:00:00:03" <<<"$neigh" && fail "the kernel learned tapir's MAC for its own address"
stop_bg up2
show_log up2
grep -Eq "^ +1 addresses found duplicate by DAD$" "$(log_of up2)" || fail "DAD duplicate not counted"
exit 0
