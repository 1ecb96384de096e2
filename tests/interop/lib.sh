# Helpers for interop tests; each *.test.sh sources this file.
#
# A test is a bash script run by run.sh as `bash NAME.test.sh BUILD`, in its
# own process.  It exits 0 (pass), 1 (fail) or 77 (skip, with the reason on
# the last line).  Everything it creates (namespaces, processes, files) is
# removed by the EXIT trap set here.
#
# Topology rules (../../DESIGN notes): namespaces are named tapir-<pid>-<what>;
# addresses come from 198.18.0.0/15; the kernel side is .1, tapir is .2.
#
#   source "$(dirname "$0")/lib.sh"
#   need_root
#   new_ns ns k                       # creates tapir-<pid>-k (lo up), sets $ns to its name
#   ns_tap "$ns" tap0                 # TAP in $ns, kernel side 198.18.0.1/24, up
#   start_bg up ip netns exec "$ns" "$BIN/tapir-up" --tap tap0 --addr 198.18.0.2/24
#   wait_log up "tapir-up: up" 5 || fail "tapir-up did not come up"
#   ip netns exec "$ns" ping -c 3 198.18.0.2 || fail "no replies"
#   stop_bg up                        # SIGINT, wait; its output: $(log_of up)
#
# These helpers set variables, so call them directly, never inside $(...):
# a subshell would forget what they registered for cleanup.
set -uo pipefail

BUILD=${1:-${TAPIR_BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
BIN=$BUILD/bin
PROGS=$BUILD/tests/progs
TEST_NAME=$(basename "$0" .test.sh)
TMPD=$(mktemp -d "/tmp/tapir-$$-$TEST_NAME.XXXXXX")
KERNEL_IP=198.18.0.1
TAPIR_IP=198.18.0.2
_NSES=()
declare -A _BG=()

say() { echo "[$TEST_NAME] $*"; }
# fail MESSAGE: the test fails; what the kernel's side of each link counted
# (drops, errors) and its neighbour tables come with it, to tell a lost frame
# from a wrong one.
fail() {
    echo "FAIL: $*"
    local ns
    for ns in "${_NSES[@]}"; do
        echo "--- the kernel's view in $ns ---"
        ip -n "$ns" -s link show 2>/dev/null | grep -v -E '^\s+link/loopback' | sed 's/^/  /'
        ip -n "$ns" neigh show 2>/dev/null | sed 's/^/  neigh: /'
    done
    exit 1
}
skip() { echo "SKIP: $*"; exit 77; }

# Skips (loudly) unless we can make namespaces and TAP devices.
need_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, TAP devices)"
    [ -c /dev/net/tun ] || skip "no /dev/net/tun"
    command -v ip >/dev/null || skip "no ip(8) (iproute2)"
    ip netns add "tapir-$$-probe" 2>/dev/null || skip "cannot create network namespaces"
    ip netns del "tapir-$$-probe"
}
need_cmd() { # cmd...
    local c
    for c in "$@"; do command -v "$c" >/dev/null || skip "needs $c"; done
}
need_bin() { # names under $BIN or $PROGS
    local b
    for b in "$@"; do [ -x "$BIN/$b" ] || [ -x "$PROGS/$b" ] || fail "$b not built (make)"; done
}

_cleanup() {
    local name ns
    for name in "${!_BG[@]}"; do _stop "${_BG[$name]}"; done
    for ns in "${_NSES[@]}"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$TMPD"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM

# new_ns VAR WHAT: creates namespace tapir-<pid>-WHAT with lo up, sets VAR
# to its name and registers it for deletion at exit.
new_ns() {
    local _name="tapir-$$-$2"
    ip netns add "$_name" || fail "ip netns add $_name"
    _NSES+=("$_name")
    ip -n "$_name" link set lo up
    printf -v "$1" '%s' "$_name"
}

# ns_tap NS DEV [KERNEL_CIDR]: a TAP device inside NS, the kernel's address on
# it (default 198.18.0.1/24), up.  Whoever opens DEV inside NS is its peer.
ns_tap() {
    local ns=$1 dev=$2 cidr=${3:-$KERNEL_IP/24}
    ip netns exec "$ns" ip tuntap add dev "$dev" mode tap || fail "tuntap add $dev"
    ip -n "$ns" addr add "$cidr" dev "$dev" || fail "addr add $cidr"
    ip -n "$ns" link set "$dev" up || fail "link up $dev"
}

# veth_pair NS1 DEV1 NS2 DEV2: a veth pair between two namespaces, both up,
# with transmit checksum offload off on both ends: a veth passes the kernel's
# partial UDP/TCP checksums (left for a NIC to finish) to the other end as they
# are, and tapir capturing there with libpcap would see them as bad.
veth_pair() {
    local ns1=$1 d1=$2 ns2=$3 d2=$4
    ip link add "$d1" netns "$ns1" type veth peer name "$d2" netns "$ns2" || fail "veth $d1/$d2"
    if command -v ethtool >/dev/null; then
        ip netns exec "$ns1" ethtool -K "$d1" tx off >/dev/null 2>&1 || fail "ethtool -K $d1 tx off"
        ip netns exec "$ns2" ethtool -K "$d2" tx off >/dev/null 2>&1 || fail "ethtool -K $d2 tx off"
    else
        say "WARNING: no ethtool: UDP/TCP from the kernel over this veth will carry partial checksums"
    fi
    ip -n "$ns1" link set "$d1" up
    ip -n "$ns2" link set "$d2" up
}

# start_bg NAME cmd...: runs cmd in the background as NAME, output to
# $(log_of NAME); its PID is $(pid_of NAME), stopped at exit if still running.
# The log is emptied here, before the child starts: the child's own
# redirection happens later, in the child, so a wait_log right after a
# restart under the same name could read the previous process's "listening"
# and talk to nobody (tap_offload, api_echo and tcp_conn_loop failed so).
start_bg() {
    local name=$1; shift
    : >"$TMPD/$name.log"
    "$@" >>"$TMPD/$name.log" 2>&1 &
    _BG[$name]=$!
}
pid_of() { echo "${_BG[$1]}"; }
log_of() { echo "$TMPD/$1.log"; }

# stop_bg NAME: SIGINT, up to 2 s for it to exit, then SIGTERM (a background
# job of a non-interactive shell starts with SIGINT ignored: a program that
# installs no handler of its own never sees it), up to 3 s more, then SIGKILL.
# Returns the process's exit status.
stop_bg() {
    local pid=${_BG[$1]:?no background process $1}
    unset "_BG[$1]"
    _stop "$pid"
}
_stop() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
    kill -INT "$pid" 2>/dev/null
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        [ "$i" -eq 20 ] && kill -TERM "$pid" 2>/dev/null
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "PID $pid did not stop on SIGINT nor SIGTERM: killing it"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}

# wait_for SECONDS cmd...: retries cmd every 0.1 s until it succeeds (0) or
# the time is up (1).
wait_for() {
    local secs=$1; shift
    local n=$(( ${secs%.*} * 10 + 1 )) i
    for i in $(seq "$n"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
# wait_port NS tcp|udp PORT: waits (up to 10 s) until a kernel socket in NS
# listens (TCP) or is bound (UDP) on PORT: a peer started in the background is
# ready only then (a fixed sleep loses that race on a loaded machine, and a
# single datagram sent too early is answered with port unreachable).
wait_port() {
    local flag=-Hltn
    [ "$2" = udp ] && flag=-Hlun
    wait_for 10 bash -c "ip netns exec '$1' ss $flag 'sport = :$3' | grep -q ." ||
        fail "nothing listens on $2 port $3 in $1"
}
# wait_log NAME PATTERN SECONDS: waits for an extended regex in NAME's log.
wait_log() { wait_for "$3" grep -Eq "$2" "$(log_of "$1")"; }

# show_log NAME: prints a background process's log (for failure reports).
show_log() { echo "--- $1 log ---"; cat "$(log_of "$1")"; echo "---"; }

# expect_ping_ok OUTPUT COUNT: ping(8)-style output shows COUNT sent and all answered.
expect_ping_ok() {
    local out=$1 count=$2
    grep -Eq "^$count packets transmitted, $count received(, \+[0-9]+ duplicates)?, 0% packet loss" <<<"$out"
}

# skip_without_tcp TEXT: the tools say "Protocol not supported" for stream
# sockets until the TCP engine is in the build: then this test is a SKIP.
skip_without_tcp() {
    if grep -q "Errno 93\] Protocol not supported" <<<"$1"; then
        skip "no TCP engine in this build (stream sockets refused)"
    fi
}

# _elapsed T0: seconds (3 decimals) since T0 (from date +%s%N).
_elapsed() {
    local ms=$(( ($(date +%s%N) - $1) / 1000000 ))
    printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# tcp_bulk_both_ways NS MB PORT KERNEL_ADDR TAPIR_ADDR TAPIR_OPTS...: MB MB of
# random data over TCP each way between tapir-nc and the kernel in NS, with
# sha256 equal: tapir-nc -> socat listening on KERNEL_ADDR:PORT, then the
# kernel's nc -> tapir-nc -l on TAPIR_ADDR:PORT+1.  IPv6 when the addresses
# hold a colon.  Says how long each direction took; fails the test on any
# difference.  tapir-nc's output (stderr: with -s, its counters) stays in
# $TMPD/bulk.tx.out (tapir sending) and $(log_of bulk_tl) (tapir receiving).
tcp_bulk_both_ways() {
    local ns=$1 mb=$2 port=$3 kaddr=$4 taddr=$5; shift 5
    local opts=("$@") fam="" listen="TCP-LISTEN:$port,bind=$kaddr,reuseaddr" t0 out rc got want
    if [[ $kaddr == *:* ]]; then
        fam=" over IPv6"
        listen="TCP6-LISTEN:$port,bind=[$kaddr],reuseaddr"
        opts+=(-6)
    fi
    head -c $((mb << 20)) /dev/urandom >"$TMPD/bulk.data"
    want=$(sha256sum <"$TMPD/bulk.data" | cut -d' ' -f1)

    start_bg bulk_ks ip netns exec "$ns" socat -u "$listen" OPEN:"$TMPD/bulk.got1",creat
    wait_port "$ns" tcp "$port"
    t0=$(date +%s%N)
    out=$(timeout 180 ip netns exec "$ns" "$BIN/tapir-nc" "${opts[@]}" -w 30 "$kaddr" "$port" \
          <"$TMPD/bulk.data" 2>&1)
    rc=$?
    printf '%s\n' "$out" >"$TMPD/bulk.tx.out"
    skip_without_tcp "$out"
    [ $rc -eq 0 ] || fail "tapir-nc -> kernel$fam exited $rc: $out"
    wait_for 20 bash -c "! kill -0 $(pid_of bulk_ks) 2>/dev/null" || fail "socat did not see tapir's FIN"
    local secs; secs=$(_elapsed "$t0")
    stop_bg bulk_ks
    got=$(sha256sum <"$TMPD/bulk.got1" | cut -d' ' -f1)
    [ "$got" = "$want" ] ||
        fail "tapir -> kernel$fam: sha256 differs ($(stat -c %s "$TMPD/bulk.got1") bytes arrived)"
    rm -f "$TMPD/bulk.got1"
    say "tapir -> kernel $mb MB$fam in $secs s: sha256 equal"

    port=$((port + 1))
    start_bg bulk_tl bash -c "exec ip netns exec $ns $BIN/tapir-nc ${opts[*]} -l -v $port \
        >$TMPD/bulk.got2 </dev/null"
    wait_log bulk_tl "Listening on" 10 || { show_log bulk_tl; fail "tapir-nc -l did not come up"; }
    t0=$(date +%s%N)
    timeout 180 ip netns exec "$ns" nc -N -w 30 "$taddr" "$port" <"$TMPD/bulk.data" ||
        fail "kernel nc$fam exited $?"
    wait_for 30 bash -c "! kill -0 $(pid_of bulk_tl) 2>/dev/null" || true
    secs=$(_elapsed "$t0")
    stop_bg bulk_tl
    got=$(sha256sum <"$TMPD/bulk.got2" | cut -d' ' -f1)
    [ "$got" = "$want" ] || { show_log bulk_tl;
        fail "kernel -> tapir$fam: sha256 differs ($(stat -c %s "$TMPD/bulk.got2") bytes arrived)"; }
    rm -f "$TMPD/bulk.got2" "$TMPD/bulk.data"
    say "kernel -> tapir $mb MB$fam in $secs s: sha256 equal"
}
