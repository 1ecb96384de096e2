# tapir's resolver against dnsmasq on the kernel side of the TAP (bound to
# 198.18.0.1 only, --no-resolv --no-hosts, records from a file written here):
# A, AAAA, a CNAME chain, PTR, NXDOMAIN, a name with many addresses, a large
# answer that forces TC and the retry over TCP, gethostbyname_ex's aliases.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd dnsmasq
need_bin tapir-host
new_ns ns k
ns_tap "$ns" tap0
{
    echo "198.18.0.7 www.example.test"
    echo "fd00:198:18::7 www.example.test"
    for i in $(seq 1 20); do echo "198.18.1.$i many.example.test"; done
    for i in $(seq 1 100); do echo "198.18.2.$i huge.example.test"; done
} >"$TMPD/records"
start_bg dns ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --addn-hosts="$TMPD/records" --listen-address=$KERNEL_IP --bind-interfaces --interface=tap0 \
    --user=root --pid-file= --log-queries --log-facility=- --local=/test/ --local=/18.198.in-addr.arpa/ \
    --cname=alias.example.test,mid.example.test --cname=mid.example.test,www.example.test
wait_log dns "read .*records" 5 || { show_log dns; fail "dnsmasq did not start"; }

host() { # args... -> $out, $rc
    out=$(ip netns exec "$ns" timeout 30 "$BIN/tapir-host" -v -W 5 --tap tap0 --addr $TAPIR_IP/24 \
          --dns $KERNEL_IP --dns-options timeout:2 "$@" 2>&1)
    rc=$?
    echo "$out"
}
expect() { grep -q -- "$1" <<<"$out" || { show_log dns; fail "$2: expected '$1'"; }; }

host -t A www.example.test;      expect "www.example.test has address 198.18.0.7" "A"
host -t AAAA www.example.test;   expect "www.example.test has IPv6 address fd00:198:18::7" "AAAA"
host www.example.test;           expect "has address 198.18.0.7" "both"; expect "IPv6 address fd00:198:18::7" "both"
# RFC 6724 order: tapir has IPv4 only here (and fd00::/8 has precedence 3 < IPv4's 35): IPv4 first.
[ "$(grep -m1 ' has ' <<<"$out")" = "www.example.test has address 198.18.0.7" ] || fail "IPv4 should come first"
host -t A alias.example.test
expect "alias.example.test is an alias for www.example.test." "CNAME chain"
expect "www.example.test has address 198.18.0.7" "CNAME chain"
host 198.18.0.7;                 expect "198.18.0.7 domain name pointer www.example.test." "PTR"
host fd00:198:18::7;             expect "domain name pointer www.example.test." "PTR (ip6.arpa)"
host -t A nothere.example.test
[ $rc -eq 1 ] || fail "NXDOMAIN should fail"
expect "\[Errno -2\] Name or service not known" "NXDOMAIN"
host 198.18.0.200
[ $rc -eq 1 ] || fail "an address without PTR should fail"
expect "\[Errno 1\] Unknown host" "PTR NXDOMAIN (herror)"
host -t A many.example.test
[ "$(grep -c 'has address 198.18.1.' <<<"$out")" -eq 20 ] || fail "many: want 20 addresses"
expect "0 over TCP" "many: 20 addresses fit in 512 bytes"

syms=$(nm "$BUILD/libtapir.a" 2>/dev/null)   # (not nm | grep -q: SIGPIPE under pipefail)
if grep -q ' T tcp_sock_create$' <<<"$syms" && ! grep -q 'tcp_placeholder' <<<"$syms"; then
    host -t A huge.example.test
    expect "truncated answer" "huge: TC expected"
    [ "$(grep -c 'has address 198.18.2.' <<<"$out")" -eq 64 ] ||
        fail "huge: want the first 64 of 100 addresses (RESOLV_MAX_ADDRS) after the TCP retry"
    expect "1 over TCP (1 after TC)" "huge: one TCP retry"
else
    say "SKIP part: TC -> TCP retry needs tapir's TCP (stack/tcp is still the placeholder)"
    host -t A huge.example.test
    expect "truncated answer" "huge: TC expected"
fi
kill -TERM "$(pid_of dns)" 2>/dev/null
exit 0
