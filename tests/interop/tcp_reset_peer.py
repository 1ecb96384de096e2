"""The kernel's side of tests/interop/tcp_reset (tests/progs/tapir-reset.c):
accepts one connection and aborts it in the middle of a transfer.

  tcp_reset_peer.py ADDR PORT MODE
    recv     send 1 MiB; wait until the client's 100 bytes sit unread in our
             receive queue (MSG_PEEK), 0.5 s more (the client is blocked in
             recv by then), close with SO_LINGER 0: RST
    send     read 64 KiB, answer "ok", close with SO_LINGER 0: RST
    sendall  read 1 MiB of a larger transfer, close with the rest unread:
             Linux answers unread data at close with RST (RFC 2525 2.17)
Prints "listening", then "aborted" (or "error: ..." and exits 1).  Every
wait has a timeout.
"""
import socket, struct, sys, time

addr, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def read_n(s, n):
    while n > 0:
        b = s.recv(min(n, 65536))
        if not b:
            raise EOFError('EOF with %d bytes to go' % n)
        n -= len(b)


def abort(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()


try:
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port))
    l.listen(1)
    l.settimeout(30)
    print('listening', flush=True)
    s, _ = l.accept()
    s.settimeout(20)
    if mode == 'recv':
        s.sendall(b'r' * (1 << 20))
        end = time.time() + 20
        while len(s.recv(100, socket.MSG_PEEK)) < 100:  # unread: peeked only
            if time.time() > end:
                raise TimeoutError("the client's 100 bytes did not arrive")
            time.sleep(0.01)
        time.sleep(0.5)
        abort(s)
    elif mode == 'send':
        read_n(s, 64 << 10)
        s.sendall(b'ok\n')
        abort(s)
    else:
        read_n(s, 1 << 20)
        s.close()
    print('aborted', flush=True)
except Exception as e:
    print('error: %s: %s' % (type(e).__name__, e), flush=True)
    sys.exit(1)
