# A tapir server on the epoll-like API with 10000 concurrent connections
# (issue 4 asks 2000; DESIGN.md's target is 10000 with O(1) lookup) from a
# kernel client (python3): every connection stays open until all are up,
# then each sends its own message and must get exactly it back.
# TAPIR_EPOLL_CONNS=N changes the count.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd python3
need_bin tapir-epoll-echo

N=${TAPIR_EPOLL_CONNS:-10000}
new_ns ns k
ns_tap "$ns" tap0
start_bg srv bash -c "exec ip netns exec $ns $PROGS/tapir-epoll-echo ${TAPIR_DEV[*]} 9100 </dev/null"
if ! wait_log srv "listening" 10; then
    skip_without_tcp "$(cat "$(log_of srv)")"
    show_log srv
    fail "tapir-epoll-echo did not start"
fi
cat >"$TMPD/client.py" <<PY
import resource, selectors, socket, sys, time
N = $N
resource.setrlimit(resource.RLIMIT_NOFILE, (N + 100, N + 100))
t0 = time.time()
socks = []
for i in range(N):
    s = socket.create_connection(("$TAPIR_IP", 9100), timeout=20)
    socks.append(s)
print("connected", len(socks), "in %.2f s" % (time.time() - t0), flush=True)
for i, s in enumerate(socks):
    s.sendall(b"message %d\n" % i)
bad = 0
for i, s in enumerate(socks):
    want = b"message %d\n" % i
    got = b""
    while len(got) < len(want):
        d = s.recv(len(want) - len(got))
        if not d:
            break
        got += d
    if got != want:
        bad += 1
print("echoed", N - bad, "of", N, "in %.2f s" % (time.time() - t0), flush=True)
for s in socks:
    s.close()
sys.exit(1 if bad else 0)
PY
timeout 300 ip netns exec "$ns" python3 "$TMPD/client.py" || { show_log srv; fail "client failed"; }
sleep 0.5
stop_bg srv
show_log srv
grep -q "served $N connections, at most $N open at once" "$(log_of srv)" || fail "server did not see $N at once"
exit 0
