#!/usr/bin/env bash
# `make demo`: tapir on a TAP device in its own network namespace, with the
# Linux kernel on the other side.  Shows the kernel's ping answered by tapir,
# tapir-ping answered by the kernel, the ARP exchange, TCP both ways (tapir-get
# fetching from the kernel's python3 http.server; the kernel's socat talking to
# tapir's echo server), and the pcap files of every frame read back by tcpdump.  Without root or /dev/net/tun it runs the
# same show between two tapir stacks on the simulated wire (memlink).
# Everything it creates is removed on exit; the capture files stay in
# BUILD/demo/.
#
#   bash tools/demo.sh [BUILD]        (BUILD defaults to build)
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BIN=$BUILD/bin
OUT=$BUILD/demo
if ! mkdir -p "$OUT" 2>/dev/null || [ ! -w "$OUT" ]; then
    OUT=$(mktemp -d /tmp/tapir-demo.XXXXXX)   # build/ not writable for us: keep the files here
fi

if [ -t 1 ]; then B=$'\e[1m'; G=$'\e[32m'; R=$'\e[31m'; N=$'\e[0m'; else B= G= R= N=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
run() { printf '%s$ %s%s\n' "$B" "$*" "$N"; "$@"; }
ok() { printf '%s   ok: %s%s\n' "$G" "$*" "$N"; }
bad() { printf '%s   FAILED: %s%s\n' "$R" "$*" "$N"; failures=$((failures + 1)); }
failures=0

for b in tapir-up tapir-ping tapir-simdemo; do
    [ -x "$BIN/$b" ] || { echo "demo: $BIN/$b is missing: run 'make' first"; exit 1; }
done

why_no_tap=""
if [ "$(id -u)" -ne 0 ]; then
    why_no_tap="not running as root (namespaces and TAP devices need it)"
elif [ ! -c /dev/net/tun ]; then
    why_no_tap="no /dev/net/tun on this machine"
elif ! command -v ip >/dev/null; then
    why_no_tap="no ip(8) command (iproute2)"
fi

if [ -n "$why_no_tap" ]; then
    step "No TAP device here: $why_no_tap"
    say "Running the same show between two tapir stacks joined by memlink,"
    say "tapir's in-process simulated wire (1 ms each way)."
    cap=$OUT/simdemo.pcap
    run "$BIN/tapir-simdemo" --capture "$cap" -c 3 || bad "the stacks did not answer each other"
    if command -v tcpdump >/dev/null; then
        step "Every frame stack A saw and sent, read back from $cap by tcpdump"
        run tcpdump -nr "$cap" 2>&1
    fi
    [ $failures -eq 0 ] && ok "demo complete" || exit 1
    exit 0
fi

NS=tapir-$$-demo
UP_PID=""
HTTP_PID=""
ECHO_PID=""
cleanup() {
    if [ -n "$UP_PID" ] && kill -0 "$UP_PID" 2>/dev/null; then
        kill -INT "$UP_PID" 2>/dev/null
        wait "$UP_PID" 2>/dev/null
    fi
    for p in $HTTP_PID $ECHO_PID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

cat <<EOT
${B}tapir demo${N}: a user-space TCP/IP stack on a TAP device, with the Linux kernel
as its peer, all inside a private network namespace ($NS) that is removed
at the end.  Addresses come from 198.18.0.0/15 (reserved for benchmarks):
  kernel: 198.18.0.1    tapir: 198.18.0.2
EOT

step "1. A network namespace with a TAP device; the kernel's side is 198.18.0.1"
ip netns add "$NS" || { echo "cannot create a namespace"; exit 1; }
ip -n "$NS" link set lo up
# No IPv6 in this namespace: its router solicitations would only add noise.
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
run ip netns exec "$NS" ip tuntap add dev tap0 mode tap
run ip -n "$NS" addr add 198.18.0.1/24 dev tap0
run ip -n "$NS" link set tap0 up

step "2. tapir comes up on the TAP as 198.18.0.2, with a MAC of its own"
say "tapir-up opens tap0 (the kernel sees frames tapir writes as coming off a wire),"
say "traces every frame (--trace) and captures it to a pcap file (--capture)."
cap=$OUT/demo.pcap
log=$OUT/tapir-up.log
printf '%s$ %s%s\n' "$B" "ip netns exec $NS $BIN/tapir-up --tap tap0 --addr 198.18.0.2/24 --capture $cap --trace &" "$N"
ip netns exec "$NS" "$BIN/tapir-up" --tap tap0 --addr 198.18.0.2/24 --capture "$cap" --trace \
    --time 120 >"$log" 2>&1 &
UP_PID=$!
for _ in $(seq 50); do grep -q "tapir-up: up" "$log" && break; sleep 0.1; done
grep "tapir-up: up" "$log" || { bad "tapir-up did not come up"; cat "$log"; exit 1; }
tapir_mac=$(sed -n 's/.*MAC \([0-9a-f:]*\).*/\1/p' "$log" | head -n 1)

step "3. The kernel pings tapir"
out=$(ip netns exec "$NS" ping -c 4 -i 0.2 -W 2 198.18.0.2 2>&1)
printf '%s$ ip netns exec %s ping -c 4 -i 0.2 198.18.0.2%s\n%s\n' "$B" "$NS" "$N" "$out"
grep -q " 0% packet loss" <<<"$out" && ok "tapir answered every ping" || bad "the kernel's pings were not all answered"

step "4. The ARP exchange"
say "Before its first ping the kernel asked who has 198.18.0.2; tapir answered with"
say "its MAC ($tapir_mac).  The kernel's neighbour table now holds it:"
run ip -n "$NS" neigh show dev tap0
say "and tapir's own trace of those frames (rx: from the kernel, tx: from tapir; the"
say "first line is tapir's gratuitous ARP, announcing its address as it came up):"
grep -E " (rx|tx) ARP" "$log" | sed 's/^/     /'
grep -E " (rx|tx) IP " "$log" | head -n 4 | sed 's/^/     /'
ip -n "$NS" neigh show dev tap0 | grep -qi "$tapir_mac" && ok "the kernel learned tapir's MAC" \
    || bad "the kernel's neighbour table lacks tapir's MAC"

step "5. Stopping tapir-up (SIGINT): it prints its counters, like netstat -s"
kill -INT "$UP_PID"
wait "$UP_PID"
UP_PID=""
sed -n '/tapir-up: stopped/,$p' "$log" | sed 's/^/     /'

step "6. tapir-ping (our ping, on our stack) pings the kernel"
say "It brings up its own tapir stack on tap0 from the same options."
cap2=$OUT/demo-ping.pcap
out=$(ip netns exec "$NS" "$BIN/tapir-ping" --tap tap0 --addr 198.18.0.2/24 --capture "$cap2" \
      -c 4 -i 0.2 198.18.0.1 2>&1)
printf '%s$ ip netns exec %s tapir-ping --tap tap0 --addr 198.18.0.2/24 -c 4 -i 0.2 198.18.0.1%s\n%s\n' \
    "$B" "$NS" "$N" "$out"
grep -q " 0% packet loss" <<<"$out" && ok "the kernel answered every tapir-ping" || bad "tapir-ping got no full answer"

step "7. TCP, tapir as the client: tapir-get fetches a page from the kernel's python3 http.server"
say "The server is CPython on the kernel's own sockets in the namespace; the client is"
say "tapir-get on tapir's TCP (handshake, data, FIN both ways)."
www=$(mktemp -d /tmp/tapir-demo-www.XXXXXX)
echo "hello from the kernel's http.server, fetched over tapir's TCP" >"$www/index.html"
ip netns exec "$NS" python3 -m http.server 8000 --bind 198.18.0.1 --directory "$www" >/dev/null 2>&1 &
HTTP_PID=$!
for _ in $(seq 50); do
    ip netns exec "$NS" ss -ltn 2>/dev/null | grep -q '198.18.0.1:8000' && break; sleep 0.1
done
cap3=$OUT/demo-tcp.pcap
printf '%s$ %s%s\n' "$B" "ip netns exec $NS tapir-get --tap tap0 --addr 198.18.0.2/24 -v http://198.18.0.1:8000/" "$N"
out=$(ip netns exec "$NS" "$BIN/tapir-get" --tap tap0 --addr 198.18.0.2/24 --capture "$cap3" -v \
      http://198.18.0.1:8000/ 2>&1)
printf '%s\n' "$out" | sed 's/^/     /'
kill "$HTTP_PID" 2>/dev/null; wait "$HTTP_PID" 2>/dev/null
rm -rf "$www"
grep -q "fetched over tapir's TCP" <<<"$out" && ok "the page came over tapir's TCP" || bad "tapir-get did not fetch the page"

step "8. TCP, tapir as the server: the Python docs' echo server on tapir, the kernel's socat as client"
ip netns exec "$NS" "$BIN/tapir-echo-server" --tap tap0 --addr 198.18.0.2/24 --port 50007 >"$OUT/echo.log" 2>&1 &
ECHO_PID=$!
reply=""
for _ in $(seq 30); do   # the server needs a moment to come up and answer ARP
    reply=$(echo "Hello, world" | ip netns exec "$NS" timeout 3 socat -t 2 - TCP:198.18.0.2:50007,connect-timeout=1 2>/dev/null) && [ -n "$reply" ] && break
    sleep 0.2
done
printf '%s$ echo "Hello, world" | ip netns exec %s socat - TCP:198.18.0.2:50007%s\n     %s\n' "$B" "$NS" "$N" "$reply"
kill "$ECHO_PID" 2>/dev/null; wait "$ECHO_PID" 2>/dev/null
[ "$reply" = "Hello, world" ] && ok "tapir echoed the kernel's line back" || bad "no echo from tapir"

step "9. Every frame tapir saw and sent, read back from its pcap files by tcpdump"
if command -v tcpdump >/dev/null; then
    run tcpdump -nr "$cap" 2>&1
    run tcpdump -nr "$cap2" 2>&1
    run tcpdump -nr "$cap3" 2>&1
    tcpdump -nr "$cap" 2>/dev/null | grep -q "ARP, Reply 198.18.0.2 is-at" && \
        tcpdump -nr "$cap" 2>/dev/null | grep -q "ICMP echo reply" && ok "tcpdump reads tapir's capture" \
        || bad "the capture lacks the ARP reply or the echo replies"
else
    say "(tcpdump is not installed: 'make deps' installs it)"
fi

echo
say "Capture files kept: $cap, $cap2, $cap3"
say "Open them with tcpdump -nr FILE, tshark -r FILE or Wireshark."
if [ $failures -eq 0 ]; then
    ok "demo complete; namespace $NS removed"
else
    bad "$failures step(s) failed"
    exit 1
fi
