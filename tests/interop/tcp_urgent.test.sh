# Urgent data (RFC 9293 3.8.5, RFC 6093) between tapir and Linux over a TAP.
# tapir sends "hello" then "X" with MSG_OOB: Linux (without SO_OOBINLINE)
# takes the last urgent byte out of band, so its recv(MSG_OOB) returning "X"
# and its normal stream being "hello" prove tapir's urgent pointer is where
# Linux expects it (one past the urgent byte).  Linux then sends "ab" and
# "U" with MSG_OOB: tapir's select() reports the socket exceptional, and
# tapir keeps the urgent byte in the stream ("abU"), as documented.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd python3
need_bin tapir-urgent

new_ns ns k
ns_tap "$ns" tap0
cat >"$TMPD/peer.py" <<PY
import socket, sys, time
srv = socket.create_server(("$KERNEL_IP", 7401))
srv.settimeout(20)
print("listening", flush=True)
c, _ = srv.accept()
c.settimeout(10)
normal = b""
while len(normal) < 5:
    d = c.recv(5 - len(normal))
    if not d:
        break
    normal += d
oob = b""
c.setblocking(False)            # (with a timeout Python would wait for POLLIN, which OOB data is not)
for _ in range(100):            # the urgent byte may trail the normal data
    try:
        oob = c.recv(1, socket.MSG_OOB)
        break
    except (BlockingIOError, OSError):
        time.sleep(0.05)
print("normal", normal, "oob", oob, flush=True)
c.setblocking(True)
c.sendall(b"ab")
c.send(b"U", socket.MSG_OOB)
c.settimeout(20)
eof = c.recv(10)                # tapir closes once it has read "abU"
c.close()
sys.exit(0 if normal == b"hello" and oob == b"X" else 1)
PY
start_bg peer ip netns exec "$ns" python3 "$TMPD/peer.py"
wait_log peer "listening" 10 || { show_log peer; fail "the Linux peer did not start"; }
out=$(timeout 30 ip netns exec "$ns" "$PROGS/tapir-urgent" "${TAPIR_DEV[@]}" $KERNEL_IP 7401 2>&1)
rc=$?
skip_without_tcp "$out"
wait_for 10 bash -c "! kill -0 $(pid_of peer) 2>/dev/null"
stop_bg peer
prc=$?
[ $rc -eq 0 ] || { show_log peer; fail "tapir-urgent exited $rc: $out"; }
grep -q "normal b'hello' oob b'X'" "$(log_of peer)" || { show_log peer; fail "Linux did not see tapir's urgent byte out of band"; }
[ $prc -eq 0 ] || { show_log peer; fail "the Linux peer failed"; }
say "tapir -> Linux: MSG_OOB byte taken out of band by Linux, stream 'hello' intact"
grep -q "^exceptional$" <<<"$out" || fail "select() did not report Linux's urgent data as exceptional: $out"
grep -q "^got abU$" <<<"$out" || fail "tapir's stream should keep the urgent byte inline ('abU'): $out"
say "Linux -> tapir: select() exceptional, urgent byte kept inline ('abU')"
exit 0
