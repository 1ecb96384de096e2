# tapir-get over a TAP against the kernel's HTTP servers: python3 -m
# http.server (http://), and the same behind Python's ssl (https://):
# status line, body to a file with the hash equal, -v showing the TLS
# version, cipher and certificate, verification failing without the CA and
# with the wrong name, -k, and redirects followed only with -L.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"
need_bin tapir-get

WWW=$TMPD/www
mkdir -p "$WWW/sub"
head -c 3000000 /dev/urandom >"$WWW/big.bin"
echo "sub index" >"$WWW/sub/index.html"
BIG_SHA=$(sha256sum "$WWW/big.bin" | cut -d' ' -f1)
get() { timeout 90 ip netns exec "$ns" "$BIN/tapir-get" "${DEV[@]}" "$@"; }

start_bg http ip netns exec "$ns" python3 -m http.server --bind $KERNEL_IP --directory "$WWW" 8080
start_bg https ip netns exec "$ns" python3 "$PEER" https --cert "$CERTS/server.pem" --key "$CERTS/server.key" \
    --bind $KERNEL_IP --port 8443 --dir "$WWW"
wait_for 10 kns bash -c "exec 3<>/dev/tcp/$KERNEL_IP/8080" || fail "http.server did not start"
wait_log https "^listening" 10 || { show_log https; fail "https server did not start"; }

say "http:// to a file"
get -o "$TMPD/out1" "http://$KERNEL_IP:8080/big.bin" 2>"$TMPD/err1"
rc=$?
cat "$TMPD/err1"
[ $rc -eq 0 ] || fail "tapir-get http:// exited $rc"
grep -qx "HTTP/1.0 200 OK" "$TMPD/err1" || fail "status line"
[ "$(sha256sum "$TMPD/out1" | cut -d' ' -f1)" = "$BIG_SHA" ] || fail "http body differs"

say "https:// with -v"
get -v --cacert "$CERTS/ca.pem" --resolve "tapir.test:8443:$KERNEL_IP" -o "$TMPD/out2" \
    "https://tapir.test:8443/big.bin" 2>"$TMPD/err2"
rc=$?
cat "$TMPD/err2"
[ $rc -eq 0 ] || fail "tapir-get https:// exited $rc"
[ "$(sha256sum "$TMPD/out2" | cut -d' ' -f1)" = "$BIG_SHA" ] || fail "https body differs"
grep -Eq '^\* TLS: TLSv1\.3, cipher TLS_[A-Z0-9_]+ \((128|256) bits\)' "$TMPD/err2" || fail "-v: TLS line"
grep -qxF "*   subject: $SUBJECT" "$TMPD/err2" || fail "-v: subject"
grep -qxF "*   issuer: $CA_SUBJECT" "$TMPD/err2" || fail "-v: issuer"
grep -qxF "*   subjectAltName: DNS:tapir.test" "$TMPD/err2" || fail "-v: subjectAltName"
grep -qx "HTTP/1.0 200 OK" "$TMPD/err2" || fail "https status line"

say "https:// body on stdout"
body=$(get --cacert "$CERTS/ca.pem" --resolve "tapir.test:8443:$KERNEL_IP" "https://tapir.test:8443/sub/" 2>/dev/null)
[ "$body" = "sub index" ] || fail "stdout body: '$body'"

say "https:// by name through tapir's resolver (its hosts file)"
echo "$KERNEL_IP tapir.test" >"$TMPD/hosts"
body=$(get --config "hosts=$TMPD/hosts" --cacert "$CERTS/ca.pem" "https://tapir.test:8443/sub/" 2>"$TMPD/errh")
rc=$?
cat "$TMPD/errh"
[ $rc -eq 0 ] && [ "$body" = "sub index" ] || fail "by name: exit $rc, body '$body'"
get --config "hosts=$TMPD/hosts" --cacert "$CERTS/ca.pem" "https://nowhere.test:8443/" >/dev/null 2>"$TMPD/errn"
rc=$?
cat "$TMPD/errn"
[ $rc -eq 1 ] && grep -q "Name or service not known\|Temporary failure in name resolution" "$TMPD/errn" ||
    fail "an unknown name: exit $rc"

say "verification failures"
get --resolve "tapir.test:8443:$KERNEL_IP" "https://tapir.test:8443/" >/dev/null 2>"$TMPD/err3"
rc=$?
cat "$TMPD/err3"
[ $rc -eq 1 ] || fail "no CA: exit 1 expected, got $rc"
grep -q "certificate verify failed: unable to get local issuer certificate" "$TMPD/err3" || fail "no CA: message"
get --cacert "$CERTS/ca.pem" "https://$KERNEL_IP:8443/" >/dev/null 2>"$TMPD/err4"
rc=$?
cat "$TMPD/err4"
[ $rc -eq 1 ] || fail "wrong name: exit 1 expected, got $rc"
grep -qF "IP address mismatch, certificate is not valid for '$KERNEL_IP'." "$TMPD/err4" || fail "wrong name: message"
get -k -v "https://$KERNEL_IP:8443/sub/" >"$TMPD/out5" 2>"$TMPD/err5"
rc=$?
cat "$TMPD/err5"
[ $rc -eq 0 ] || fail "-k: exit $rc"
grep -q "verified: NO" "$TMPD/err5" || fail "-k must say it did not verify"
# RFC 6066 3: no SNI for an address literal; a name is sent
grep -qx "sni: None" "$(log_of https)" || { show_log https; fail "SNI sent for an IP address"; }
grep -qx "sni: tapir.test" "$(log_of https)" || { show_log https; fail "no SNI for tapir.test"; }

say "redirects only with -L"
get --cacert "$CERTS/ca.pem" --resolve "tapir.test:8443:$KERNEL_IP" "https://tapir.test:8443/sub" \
    >"$TMPD/out6" 2>"$TMPD/err6"
rc=$?
cat "$TMPD/err6"
[ $rc -eq 0 ] || fail "301 without -L: exit $rc"
grep -q "^HTTP/1.0 301 " "$TMPD/err6" || fail "301 status expected without -L"
get -L -v --cacert "$CERTS/ca.pem" --resolve "tapir.test:8443:$KERNEL_IP" "https://tapir.test:8443/sub" \
    >"$TMPD/out7" 2>"$TMPD/err7"
rc=$?
cat "$TMPD/err7"
[ $rc -eq 0 ] || fail "-L: exit $rc"
grep -q "Following redirect to /sub/" "$TMPD/err7" || fail "-L did not follow"
[ "$(cat "$TMPD/out7")" = "sub index" ] || fail "-L body: $(cat "$TMPD/out7")"

say "404 exits 3"
get "http://$KERNEL_IP:8080/missing" >/dev/null 2>"$TMPD/err8"
rc=$?
[ $rc -eq 3 ] || fail "404: exit 3 expected, got $rc"
grep -q "^HTTP/1.0 404 " "$TMPD/err8" || fail "404 status line"
exit 0
