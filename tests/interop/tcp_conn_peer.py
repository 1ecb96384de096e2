"""The kernel's side of tests/interop/tcp_conn_loop (tests/progs/tapir-conn-loop.c).

  tcp_conn_peer.py server ADDR PORT N        accept N connections, one at a time
  tcp_conn_peer.py client HOST PORT N        connect N times, one at a time

Each connection: the client sends "<i> <how>\\n", the server echoes it; how
"c": the server closes first, "w": the server waits for the client's end.
The client ends connection i by i % 4: 0 close first, 1 ask the server to
close first ("c") and read its EOF, 2 abort with SO_LINGER 0 (RST),
3 shutdown(SHUT_WR), read the EOF, close.  Prints "done N" at the end, or a
line starting with "error" and exits 1.  Every wait has a 10 s (accept:
30 s) timeout, so it never hangs.
"""
import socket, struct, sys

role, addr, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def read_line(s):
    buf = b''
    while not buf.endswith(b'\n'):
        b = s.recv(1)
        if not b:
            raise EOFError('EOF before a full line')
        buf += b
    return buf


def read_eof(s):
    while s.recv(4096):
        pass


def server():
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port))
    l.listen(16)
    l.settimeout(30)
    print('listening', flush=True)
    for i in range(n):
        s, _ = l.accept()
        s.settimeout(10)
        line = read_line(s)
        s.sendall(line)
        if not line.endswith(b' c\n'):
            try:
                read_eof(s)
            except ConnectionResetError:
                pass  # the client's abort (SO_LINGER 0)
        s.close()
    l.close()


def client():
    for i in range(n):
        how = i % 4
        s = socket.create_connection((addr, port), timeout=10)
        line = b'%d %s\n' % (i, b'c' if how == 1 else b'w')
        s.sendall(line)
        got = read_line(s)
        if got != line:
            raise RuntimeError('connection %d: echo differs: %r' % (i, got))
        if how == 1:
            read_eof(s)
        elif how == 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        elif how == 3:
            s.shutdown(socket.SHUT_WR)
            read_eof(s)
        s.close()


try:
    server() if role == 'server' else client()
    print('done', n, flush=True)
except Exception as e:  # reported, not a traceback: the test shows the line
    print('error: %s: %s' % (type(e).__name__, e), flush=True)
    sys.exit(1)
