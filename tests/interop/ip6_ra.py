#!/usr/bin/env python3
"""Sends IPv6 router advertisements from the kernel on DEV (a test's TAP),
as a router would: from the link-local address to ff02::1, hop limit 255,
prefix fd00:198:18::/64 (autonomous, not on-link), router lifetime 1800 s,
MTU 1400 (the same RA as radvd sends in ip6_slaac_dad.test.sh).
usage: ip6_ra.py DEV COUNT INTERVAL"""
import socket
import struct
import sys
import time

dev, count, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ifindex = socket.if_nametoindex(dev)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
# type, code, checksum (the kernel fills it), cur hop limit, flags,
# router lifetime, reachable time, retrans timer
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
prefix = socket.inet_pton(socket.AF_INET6, "fd00:198:18::")
# prefix information: type 3, length 4, /64, A (L clear), valid 86400, preferred 14400
pio = struct.pack("!BBBBIII", 3, 4, 64, 0x40, 86400, 14400, 0) + prefix
mtu = struct.pack("!BBHI", 5, 1, 0, 1400)
for _ in range(count):
    s.sendto(ra + pio + mtu, ("ff02::1", 0, 0, ifindex))
    time.sleep(interval)
