# The kernel's `python3 -m http.server`, fetched by a tiny HTTP GET written
# on makefile() (tests/progs/tapir-http-get.c).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/api_lib.sh"
need_root
need_cmd python3
need_bin tapir-http-get

new_ns ns k
ns_tap "$ns" tap0
mkdir -p "$TMPD/www"
head -c 1500000 /dev/urandom >"$TMPD/www/blob.bin"
echo "<html>tapir</html>" >"$TMPD/www/index.html"
start_bg http ip netns exec "$ns" python3 -m http.server 8000 --bind $KERNEL_IP --directory "$TMPD/www"
wait_for 10 ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/$KERNEL_IP/8000" || { show_log http; fail "http.server"; }

tapir_in "$ns" tapir-http-get $KERNEL_IP 8000 /index.html >"$TMPD/index.out" 2>"$TMPD/err"
rc=$?
cat "$TMPD/err"
skip_without_tcp "$(cat "$TMPD/err")"
[ $rc -eq 0 ] || fail "GET /index.html exited $rc"
cmp -s "$TMPD/www/index.html" "$TMPD/index.out" || fail "index.html differs"
grep -q "^status: HTTP/1.0 200 OK" "$TMPD/err" || fail "status line"

tapir_in "$ns" tapir-http-get $KERNEL_IP 8000 /blob.bin >"$TMPD/blob.out" 2>"$TMPD/err" || { cat "$TMPD/err"; fail "GET /blob.bin"; }
cmp -s "$TMPD/www/blob.bin" "$TMPD/blob.out" || fail "blob.bin differs"
tapir_in "$ns" tapir-http-get $KERNEL_IP 8000 /missing >/dev/null 2>"$TMPD/err" && fail "a 404 should exit 1"
grep -q "^status: HTTP/1.0 404" "$TMPD/err" || fail "404 status line"
stop_bg http
say "HTTP GET on makefile ok"
exit 0
