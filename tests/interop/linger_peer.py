"""The kernel's side of api_linger.test.sh: accepts one connection and reads
it with a small receive buffer, slowly ("slow") or after a long pause
("stall"), checking the byte pattern tapir-linger sends.

    python3 linger_peer.py ADDR PORT NBYTES MODE

Prints "listening", then one line:
  got N bad B mark M eof E  (B: reads whose bytes were wrong)
M: time.monotonic() when all but the last 64 KB had been read (the data the
kernel buffer cannot hold any more), E: when EOF came.
"""
import socket
import sys
import time

addr, port, n, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)  # inherited by the accepted socket
ls.bind((addr, port))
ls.listen(1)
print("listening", flush=True)
ls.settimeout(20)
c, _ = ls.accept()
c.settimeout(30)
if mode == "stall":
    time.sleep(3)
pattern = bytes(range(251)) * 20  # the sender's bytes are i % 251
got = bad = 0
mark = None
while True:
    d = c.recv(4096)
    if not d:
        break
    off = got % 251
    if d != pattern[off:off + len(d)]:
        bad += 1
    got += len(d)
    if mark is None and got >= n - 65536:
        mark = time.monotonic()
    if mode == "slow":
        time.sleep(0.005)
print("got %d bad %d mark %.6f eof %.6f" % (got, bad, mark or 0.0, time.monotonic()), flush=True)
