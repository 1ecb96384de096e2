# Helpers shared by the api_*.test.sh interop tests (sourced after lib.sh).
#
# TAPIR_DEV: the device options every tapir tool gets in these tests (fixed
# MAC, so the kernel's ARP entry stays right from one tool run to the next).
TAPIR_DEV=(--tap tap0 --addr "$TAPIR_IP/24" --mac 02:00:00:00:00:02)

# tapir_in NS cmd...: a tapir tool (under $BIN or $PROGS) in NS, stdin from /dev/null.
tapir_in() {
    local ns=$1 tool=$2; shift 2
    local path=$BIN/$tool
    [ -x "$path" ] || path=$PROGS/$tool
    ip netns exec "$ns" "$path" "${TAPIR_DEV[@]}" "$@" </dev/null
}

# skip_without_tcp is in lib.sh.
