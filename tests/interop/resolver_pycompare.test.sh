# getaddrinfo, getnameinfo, gethostbyname(_ex), gethostbyaddr, getservbyname,
# getservbyport, getprotobyname, case by case against python3's socket module on
# this machine: the same numeric hosts, ports, services, families, types,
# protocols and flags give the same list (or the same error, code and text).
# Cases whose answer would come from DNS are left out (see the .py file).
source "$(dirname "$0")/lib.sh"
need_cmd python3
need_bin resolver_gai_cases
here=$(dirname "$0")
python3 "$here/resolver_gai_cases.py" expect >"$TMPD/python.txt" || fail "python3 cases"
python3 "$here/resolver_gai_cases.py" list |
    TAPIR_HOSTS=/etc/hosts "$PROGS/resolver_gai_cases" >"$TMPD/tapir.txt" || fail "tapir cases"
n=$(wc -l <"$TMPD/python.txt")
[ "$n" -gt 500 ] || fail "only $n cases"
if ! diff -u "$TMPD/python.txt" "$TMPD/tapir.txt"; then
    fail "tapir differs from python3 (above: - python3, + tapir)"
fi
say "$n cases identical to python3"
exit 0
