#!/usr/bin/env python3
"""A scripted hostile DNS server for tapir's resolver tests (kernel side).

  resolver_hostile_server.py ADDR PORT MODE
MODE good: answers every A query with 198.18.0.99.
MODE hostile: misbehaves according to the first label of the name:
  wrongid   answers with another ID          wrongq  answers another question
  trunc     sends the answer cut short       loop    a compression pointer to itself
  lie       ANCOUNT says 3, one record       silent  never answers
  forward   a pointer to later in the message
anything else: a good answer.  Stops after 120 s in any case.
"""
import signal, socket, struct, sys, time
signal.signal(signal.SIGINT, lambda *a: sys.exit(0))

addr, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(0.5)
print('listening', addr, port, mode, flush=True)

def qname(q):
    labels, i = [], 12
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode('ascii', 'replace'))
        i += 1 + q[i]
    return labels, i + 5  # end of the question

def answer(q, qend, ancount=1):
    hdr = q[:2] + struct.pack('!HHHHH', 0x8180, 1, ancount, 0, 0)
    rr = b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 60, 4) + bytes([198, 18, 0, 99])
    return hdr + q[12:qend] + rr

end = time.time() + 120
while time.time() < end:
    try:
        q, peer = s.recvfrom(4096)
    except socket.timeout:
        continue
    if len(q) < 17:
        continue
    labels, qend = qname(q)
    how = labels[0] if mode == 'hostile' and labels else 'good'
    print('query', '.'.join(labels), 'from', peer, '->', how, flush=True)
    good = answer(q, qend)
    if how == 'silent':
        continue
    elif how == 'wrongid':
        for k in range(3):
            bad = bytearray(good)
            bad[0] ^= 0x5a + k
            s.sendto(bytes(bad), peer)
    elif how == 'wrongq':
        bad = bytearray(good)
        bad[13] ^= 0x01
        s.sendto(bytes(bad), peer)
    elif how == 'trunc':
        s.sendto(good[:-3], peer)
    elif how == 'loop':
        rr = struct.pack('!H', 0xc000 | qend) + struct.pack('!HHIH', 1, 1, 60, 4) + bytes(4)
        s.sendto(good[:qend] + rr, peer)
    elif how == 'forward':
        rr = struct.pack('!H', 0xc000 | (qend + 20)) + struct.pack('!HHIH', 1, 1, 60, 4) + bytes(4)
        s.sendto(good[:qend] + rr + b'\x00' * 8, peer)
    elif how == 'lie':
        s.sendto(answer(q, qend, ancount=3), peer)
    else:
        s.sendto(good, peer)
