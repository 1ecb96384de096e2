#!/usr/bin/env python3
"""The kernel-side TLS peer of the interop tests: Python's ssl module (OpenSSL
on the kernel's sockets), one connection, results as "key: value" lines.

  tls_peer.py server --cert C --key K --port P --mode sink|source|drop|echo [--file F]
  tls_peer.py client --cafile CA --host H --port P --servername N --mode sink|source|eof [--file F]
  tls_peer.py https  --cert C --key K --port P --dir D    (http.server over TLS, one request per
                                                          connection, until killed)

sink: read to EOF (close_notify), print recv-bytes / recv-sha256, unwrap.
source: send the file, print sent-sha256, unwrap (close_notify both ways).
drop: send "bye\\n", then close the TCP connection without close_notify.
echo: echo lines back until EOF, then unwrap.
eof (client): read to EOF and report how it ended: "eof: clean" or
              "error: SSLEOFError: ..." (suppress_ragged_eofs=False).
"""
import argparse
import hashlib
import http.server
import socket
import ssl
import sys


def out(*a):
    print(*a, flush=True)


def err(e):
    out("error: %s: %s" % (type(e).__name__, e))


def sink(s):
    h = hashlib.sha256()
    n = 0
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            h.update(d)
            n += len(d)
    except (ssl.SSLError, OSError) as e:
        out("recv-bytes: %d" % n)
        err(e)
        return False
    out("recv-bytes: %d" % n)
    out("recv-sha256: %s" % h.hexdigest())
    out("eof: clean")
    return True


def source(s, path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            d = f.read(65536)
            if not d:
                break
            h.update(d)
            s.sendall(d)
    out("sent-sha256: %s" % h.hexdigest())


def unwrap(s):
    try:
        s.unwrap()
        out("unwrap: ok")
    except (ssl.SSLError, OSError) as e:
        err(e)


def show_sni(ctx):
    # what the client sent as SNI (None: no extension), for the tests
    ctx.sni_callback = lambda sock, name, c: out("sni: %s" % name)


def server(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    show_sni(ctx)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(1)
    out("listening")
    raw, peer = ls.accept()
    raw.settimeout(60)
    try:
        s = ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
    except (ssl.SSLError, OSError) as e:
        err(e)
        return 1
    out("handshake: ok %s %s" % (s.version(), s.cipher()[0]))
    if a.mode == "sink":
        if sink(s):
            unwrap(s)
    elif a.mode == "source":
        source(s, a.file)
        unwrap(s)
    elif a.mode == "drop":
        s.sendall(b"bye\n")
        # close the TCP connection under TLS: no close_notify
        socket.socket.close(s)
        raw.close()
        out("dropped")
    elif a.mode == "echo":
        f = s.makefile("rwb")
        for line in f:
            f.write(b"echo: " + line)
            f.flush()
        f.close()
        unwrap(s)
    return 0


def client(a):
    ctx = ssl.create_default_context(cafile=a.cafile)
    raw = socket.create_connection((a.host, a.port), timeout=60)
    try:
        s = ctx.wrap_socket(raw, server_hostname=a.servername, suppress_ragged_eofs=False)
    except (ssl.SSLError, OSError) as e:
        err(e)
        return 1
    out("handshake: ok %s %s" % (s.version(), s.cipher()[0]))
    if a.mode in ("sink", "eof"):
        if sink(s):
            unwrap(s)
    elif a.mode == "source":
        source(s, a.file)
        unwrap(s)
    return 0


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        sys.stderr.write("https: " + (fmt % args) + "\n")


def https(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    show_sni(ctx)

    def handler(*args, **kw):
        return Handler(*args, directory=a.dir, **kw)

    httpd = http.server.HTTPServer((a.bind, a.port), handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    out("listening")
    httpd.serve_forever()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client", "https"])
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--cafile")
    p.add_argument("--host")
    p.add_argument("--bind", default="")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--servername")
    p.add_argument("--mode", default="sink")
    p.add_argument("--file")
    p.add_argument("--dir", default=".")
    a = p.parse_args()
    return {"server": server, "client": client, "https": https}[a.role](a)


if __name__ == "__main__":
    sys.exit(main())
