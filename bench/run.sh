#!/usr/bin/env bash
# make bench: tapir's speed as ratios against the kernel, all measured in this
# one run (absolute figures drift on shared machines; ratios survive).
#
#   kernel -> kernel over a veth pair       (the reference, TSO/GRO on as shipped)
#   raw TAP write limit                     (1514-byte frames, one per write())
#   tapir -> kernel and kernel -> tapir     (one TCP stream over the TAP)
#   the same with offload=1                 (vnet header: tapir sends TSO super-segments,
#                                            reads the kernel's GSO frames; against the
#                                            kernel over veth, DESIGN.md's target 0.75)
#   1-byte request/response                 (kernel<->kernel over veth, tapir<->kernel over TAP)
# Each figure is the median of RUNS (default 3) runs.
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
B=$BUILD/bench
RUNS=${RUNS:-3}
BYTES=${BYTES:-$((1000 * 1000 * 1000))}
SECS=${SECS:-3}
[ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] || { echo "SKIP: make bench needs root and /dev/net/tun"; exit 0; }

P=tapir-$$
NS_A=$P-a; NS_B=$P-b; NS_T=$P-t
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    for n in $NS_A $NS_B $NS_T; do ip netns del "$n" 2>/dev/null; done
}
trap cleanup EXIT

# Kernel pair: two namespaces joined by veth, 198.18.1.1 <-> 198.18.1.2.
ip netns add $NS_A; ip netns add $NS_B
ip link add $P-va type veth peer name $P-vb
ip link set $P-va netns $NS_A; ip link set $P-vb netns $NS_B
ip -n $NS_A addr add 198.18.1.1/24 dev $P-va; ip -n $NS_A link set $P-va up; ip -n $NS_A link set lo up
ip -n $NS_B addr add 198.18.1.2/24 dev $P-vb; ip -n $NS_B link set $P-vb up; ip -n $NS_B link set lo up

# TAP namespace: the kernel side of the TAP is 198.18.0.1, tapir is 198.18.0.2.
ip netns add $NS_T
ip -n $NS_T link set lo up
ip -n $NS_T tuntap add dev tap0 mode tap
ip -n $NS_T addr add 198.18.0.1/24 dev tap0
ip -n $NS_T link set tap0 up

median() { sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "nan")}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

# run_pair SERVER_NS SERVER_CMD CLIENT_NS CLIENT_CMD FIELD: prints the field from the side that has it.
run_pair() {
    local sns=$1 scmd=$2 cns=$3 ccmd=$4 f=$5 out=$(mktemp) cout
    ip netns exec "$sns" $scmd >"$out" 2>&1 & local sp=$!
    pids+=("$sp")
    sleep 0.3
    cout=$(timeout 120 ip netns exec "$cns" $ccmd 2>&1)
    wait "$sp"
    { echo "$cout"; cat "$out"; } | field "$f" | sort -g | tail -1
    rm -f "$out"
}

measure() { # label FIELD SERVER_NS SERVER_CMD CLIENT_NS CLIENT_CMD
    local label=$1 f=$2; shift 2
    local vals=() i v
    for ((i = 0; i < RUNS; i++)); do
        v=$(run_pair "$@" "$f")
        vals+=("${v:-nan}")
    done
    printf '%s\n' "${vals[@]}" | median
}

echo "tapir bench: $RUNS runs each, median; $((BYTES / 1000000)) MB per stream, ${SECS}s per request/response run"
k_bulk=$(measure "kernel veth bulk" gbps $NS_B "$B/kbulk sink 5001" $NS_A "$B/kbulk source 198.18.1.2 5001 $BYTES")
k_rr=$(measure "kernel veth rr" rps $NS_B "$B/kbulk rr-server 5002" $NS_A "$B/kbulk rr-client 198.18.1.2 5002 $SECS")
tapw=()
for ((i = 0; i < RUNS; i++)); do tapw+=("$(ip netns exec $NS_T "$B/tapwrite" tap0 2 | field gbps)"); done
tap_limit=$(printf '%s\n' "${tapw[@]}" | median)

printf '%-44s %10s\n' "kernel -> kernel, veth, one TCP stream" "$k_bulk Gbit/s"
printf '%-44s %10s\n' "kernel <-> kernel, veth, 1-byte RR" "$k_rr rt/s"
printf '%-44s %10s\n' "raw TAP write limit (1514 B frames)" "$tap_limit Gbit/s"

if [ -x "$B/tbulk" ]; then
    CONF="--tap tap0 --addr 198.18.0.2/24"
    t_tx=$(measure "tapir->kernel" gbps $NS_T "$B/kbulk sink 5003" $NS_T "$B/tbulk $CONF source 198.18.0.1 5003 $BYTES")
    t_rx=$(measure "kernel->tapir" gbps $NS_T "$B/tbulk $CONF sink 5004" $NS_T "$B/kbulk source 198.18.0.2 5004 $BYTES")
    t_rr=$(measure "tapir rr" rps $NS_T "$B/kbulk rr-server 5005" $NS_T "$B/tbulk $CONF rr-client 198.18.0.1 5005 $SECS")
    # With the TAP's offloads (the driver sets or clears them at every open).
    t_otx=$(measure "tapir->kernel offload" gbps $NS_T "$B/kbulk sink 5006" $NS_T "$B/tbulk $CONF --offload source 198.18.0.1 5006 $BYTES")
    t_orx=$(measure "kernel->tapir offload" gbps $NS_T "$B/tbulk $CONF --offload sink 5007" $NS_T "$B/kbulk source 198.18.0.2 5007 $BYTES")
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a == a + 0) printf "%.2f", a / b; else print "nan" }'; }
    printf '%-44s %10s   %s x TAP limit, %s x kernel\n' "tapir -> kernel, TAP, one TCP stream" "$t_tx Gbit/s" "$(ratio "$t_tx" "$tap_limit")" "$(ratio "$t_tx" "$k_bulk")"
    printf '%-44s %10s   %s x TAP limit, %s x kernel\n' "kernel -> tapir, TAP, one TCP stream" "$t_rx Gbit/s" "$(ratio "$t_rx" "$tap_limit")" "$(ratio "$t_rx" "$k_bulk")"
    printf '%-44s %10s   %s x kernel\n' "tapir <-> kernel, TAP, 1-byte RR" "$t_rr rt/s" "$(ratio "$t_rr" "$k_rr")"
    printf '%-44s %10s   %s x kernel\n' "tapir -> kernel, TAP offload=1 (TSO)" "$t_otx Gbit/s" "$(ratio "$t_otx" "$k_bulk")"
    printf '%-44s %10s   %s x kernel\n' "kernel -> tapir, TAP offload=1 (GSO frames)" "$t_orx Gbit/s" "$(ratio "$t_orx" "$k_bulk")"
else
    echo "tapir figures: not measured ($B/tbulk is not built)"
fi
