#!/usr/bin/env python3
"""getaddrinfo/getnameinfo cases on numeric inputs, printed one line each in
a form tapir's tests/progs/gai_cases prints too; the interop test diffs them.
  python3 resolver_gai_cases.py list      the cases (host|port|family|type|proto|flags)
  python3 resolver_gai_cases.py expect    Python's own results on this machine
"""
import socket, sys

HOSTS = [None, '', '127.0.0.1', '198.18.0.7', '127.1', '0x7f.1', '017.0.0.1', '1.2.3.4.5',
         '::1', '::', 'fd00:198:18::7', '::ffff:198.18.0.7', 'fe80::1%1', '1.2.3.256', 'x::y',
         '1.2.3.4 ', '255.255.255.255', '0.0.0.0']
PORTS = [None, '0', '80', '65535', '65536', '-1', 'http', 'domain', 'ssh', 'tftp', 'nosuchsvc', '8a', ' 80']
FAMILIES = [0, 2, 10, 1, 99]
TYPES = [0, 1, 2, 3, 5, 99]
PROTOS = [0, 6, 17, 1, 132, 255]
FLAGS = [0, 0x1, 0x2, 0x4, 0x8, 0x18, 0x400, 0x404, 0x405, 0x1000]

def cases():
    out = []
    # Flags and host forms against a fixed port/family/type.
    for h in HOSTS:
        for fl in FLAGS:
            out.append((h, '80', 0, 1, 0, fl))
    # Ports and services for each socket type, numeric host and none.
    for p in PORTS:
        for t in TYPES:
            for h in ('127.0.0.1', None):
                out.append((h, p, 0, t, 0, 0x4))
            out.append(('127.0.0.1', p, 0, t, 0, 0x404))
    # Families, types and protocols together.
    for f in FAMILIES:
        for t in TYPES:
            for pr in PROTOS:
                out.append(('127.0.0.1', '7', f, t, pr, 0x4))
                out.append(('::1', '7', f, t, pr, 0x4))
                out.append((None, '7', f, t, pr, 0x1))
    # V4MAPPED / ALL with an AF_INET6 request on v4 and v6 numerics.
    for h in ('198.18.0.7', '::1', None):
        for fl in (0x4, 0xc, 0x14, 0x1c, 0x1d):
            out.append((h, '53', 10, 2, 0, fl))
    return out

def enc(v):
    return '-' if v is None else v.replace('|', '!')

def fmt_sa(sa):
    return '(' + ','.join(str(x) for x in sa) + ')'

def run_gai(c):
    h, p, f, t, pr, fl = c
    try:
        res = socket.getaddrinfo(h, p, f, t, pr, fl)
    except socket.gaierror as e:
        return 'gaierror %d %s' % (e.errno, e.strerror)
    except UnicodeError as e:
        return 'ValueError'
    except OSError as e:
        return 'OSError %s' % e
    return ' '.join('%d,%d,%d,%s,%s' % (int(a), int(b), c_, d or '', fmt_sa(s)) for a, b, c_, d, s in res)

NI = [(('127.0.0.1', 80), 0x3), (('127.0.0.1', 53), 0x13), (('198.18.0.7', 22), 0x1),
      (('198.18.0.7', 65000), 0x3), (('::1', 443, 0, 0), 0x3), (('fd00:198:18::7', 80, 0, 0), 0x3),
      (('::ffff:1.2.3.4', 80), 0x3), (('127.0.0.1', 7), 0x11), (('127.0.0.1', 99999), 0x3),
      (('1.2.3.4.5', 80), 0x3), (('fe80::1', 80, 0, 0), 0x3), (('127.0.0.1', 80), 0x99),
      (('127.0.0.1', 512), 0x11), (('127.0.0.1', 512), 0x1)]

def run_gni(c):
    sa, fl = c
    try:
        h, p = socket.getnameinfo(sa, fl)
    except socket.gaierror as e:
        return 'gaierror %d %s' % (e.errno, e.strerror)
    except OverflowError as e:
        return 'OverflowError %s' % e
    except OSError as e:
        return 'OSError %s' % e
    return '%s %s' % (h, p)

# gethostbyname / gethostbyname_ex / gethostbyaddr on numeric and hosts-file
# inputs; getservbyname / getservbyport / getprotobyname.
GHN = ['127.0.0.1', '127.1', '0x7f.1', '198.18.0.7', '', '<broadcast>', '255.255.255.255', '::1',
       'localhost', '1.2.3.4.5', '017.0.0.1']
GHA = ['127.0.0.1', 'localhost', '::1', '127.1']
GSN = [('http', None), ('http', 'tcp'), ('http', 'udp'), ('domain', 'udp'), ('www', None),
       ('nosuchsvc', None), ('ssh', 'sctp'), ('tftp', None)]
GSP = [(80, None), (80, 'udp'), (53, 'udp'), (512, 'udp'), (512, 'tcp'), (9, None), (65000, None),
       (99999, None), (-1, None)]
GPN = ['tcp', 'udp', 'icmp', 'TCP', 'ipv6-icmp', 'nope']

def run_other(kind, arg):
    try:
        if kind == 'ghn':
            return socket.gethostbyname(arg)
        if kind == 'ghx':
            n, al, ad = socket.gethostbyname_ex(arg)
            return '%s [%s] [%s]' % (n, ','.join(al), ','.join(ad))
        if kind == 'gha':
            n, al, ad = socket.gethostbyaddr(arg)
            return '%s [%s] [%s]' % (n, ','.join(al), ','.join(ad))
        if kind == 'gsn':
            return str(socket.getservbyname(*[a for a in arg if a is not None]))
        if kind == 'gsp':
            return socket.getservbyport(*[a for a in arg if a is not None])
        if kind == 'gpn':
            return str(socket.getprotobyname(arg))
    except socket.gaierror as e:
        return 'gaierror %d %s' % (e.errno, e.strerror)
    except socket.herror as e:
        return 'herror %d %s' % (e.errno, e.strerror)
    except OverflowError as e:
        return 'OverflowError %s' % e
    except OSError as e:
        return 'OSError %s' % e

def others():
    out = []
    for h in GHN:
        if h in ('1.2.3.4.5',):  # a name: DNS decides
            continue
        out.append(('ghn', h))
        out.append(('ghx', h))
    for h in GHA:
        out.append(('gha', h))
    for a in GSN:
        out.append(('gsn', a))
    for a in GSP:
        out.append(('gsp', a))
    for a in GPN:
        out.append(('gpn', a))
    return out

def other_key(kind, arg):
    if isinstance(arg, tuple):
        return '%s %s' % (kind, '|'.join('-' if a is None else str(a) for a in arg))
    return '%s %s' % (kind, arg)

def numeric(h):
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.getaddrinfo(h, None, fam, 0, 0, socket.AI_NUMERICHOST)
            return True
        except (OSError, UnicodeError):
            pass
    return False

def dns_dependent(c):
    # A name that is not numeric, without AI_NUMERICHOST, is looked up in DNS:
    # the answer depends on the name servers, not on getaddrinfo's rules
    # (tapir's servers here: none, so EAI_AGAIN; this machine's: NXDOMAIN).
    h, fl = c[0], c[5]
    return h not in (None, '', '*') and not (fl & socket.AI_NUMERICHOST) and not numeric(h)

if __name__ == '__main__':
    mode = sys.argv[1] if len(sys.argv) > 1 else 'expect'
    for c in cases():
        if dns_dependent(c):
            continue
        key = 'gai %s|%s|%d|%d|%d|%d' % (enc(c[0]), enc(c[1]), c[2], c[3], c[4], c[5])
        print(key if mode == 'list' else key + ' => ' + run_gai(c))
    for c in NI:
        key = 'gni %s|%d' % (','.join(str(x) for x in c[0]), c[1])
        print(key if mode == 'list' else key + ' => ' + run_gni(c))
    for kind, arg in others():
        key = other_key(kind, arg)
        print(key if mode == 'list' else key + ' => ' + run_other(kind, arg))
