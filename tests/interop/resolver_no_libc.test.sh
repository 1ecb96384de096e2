# tapir never uses the C library's resolver: no getaddrinfo(3),
# gethostbyname(3) and friends, no res_* calls, in the library or the tools
# (names go through tapir's own resolver over tapir's own sockets).
source "$(dirname "$0")/lib.sh"
need_cmd nm
[ -f "$BUILD/libtapir.a" ] || fail "libtapir.a not built (make)"
pat=' U (getaddrinfo|getnameinfo|gethostbyname|gethostbyname2|gethostbyname_r|gethostbyname2_r|gethostbyaddr|gethostbyaddr_r|gethostent|getservbyname|getservbyname_r|getservbyport|getservbyport_r|getprotobyname|getprotobyname_r|getaddrinfo_a|res_init|res_ninit|res_query|res_search|res_nquery|res_nsearch|__res_[a-z]+|__libc_res_[a-z]+)(@.*)?$'
bad=$(nm -u "$BUILD/libtapir.a" "$BUILD"/bin/* "$BUILD"/tests/progs/* 2>/dev/null | grep -E "$pat" | sort -u)
[ -z "$bad" ] || fail "libc resolver calls found: $bad"
say "no libc resolver symbol in libtapir.a, $(ls "$BUILD"/bin | wc -l) tools, $(ls "$BUILD"/tests/progs | wc -l) test programs"
exit 0
