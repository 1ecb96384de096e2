# IPv6 helpers for interop tests (source after lib.sh).  The kernel side of
# the TAP is fd00:198:18::1/64, tapir fd00:198:18::2/64; tapir's MAC is fixed
# and its interface ids are EUI-64 (eui64=1) so its link-local address is
# known in advance: fe80::ff:fe00:2.
KERNEL_IP6=fd00:198:18::1
TAPIR_IP6=fd00:198:18::2
TAPIR_MAC6=02:00:00:00:00:02
TAPIR_LL6=fe80::ff:fe00:2
# The device options for a tapir tool on tap0 with both families.
TAPIR_DEV6=(--tap tap0 --addr "$TAPIR_IP/24" --addr "$TAPIR_IP6/64" --mac "$TAPIR_MAC6" --config eui64=1)

# ns_tap6 NS DEV: ns_tap plus the kernel's IPv6 address (no DAD on our side of
# the test: the kernel's address is usable at once).
ns_tap6() {
    local ns=$1 dev=$2
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 2>/dev/null
    ns_tap "$ns" "$dev"
    ip -n "$ns" -6 addr add "$KERNEL_IP6/64" dev "$dev" nodad || fail "addr add $KERNEL_IP6"
}
