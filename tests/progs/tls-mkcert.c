/* tls-mkcert DIR: writes the TLS tests' certificates into DIR (made with
 * OpenSSL's API: a test CA, a server certificate for tapir.test /
 * 198.18.0.2, an expired one, one from an untrusted CA, a client one; see
 * tests/lib/tlscert.h).  The interop tests use it because `openssl req`
 * cannot make an already-expired certificate. */
#include <stdio.h>
#include <sys/stat.h>

#include "tests/lib/tlscert.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: tls-mkcert DIR\n");
        return 2;
    }
    mkdir(argv[1], 0700);
    if (!tlscert_make_dir(argv[1])) {
        fprintf(stderr, "tls-mkcert: could not write the certificates into %s\n", argv[1]);
        return 1;
    }
    return 0;
}
