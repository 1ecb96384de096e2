/* Test certificates made at test time with OpenSSL's API (no files in the
 * repository, no clock games): a test CA, a server certificate, an expired
 * one, one from a CA nobody trusts, and a client certificate.
 *
 * Header-only (static functions) so that the unit tests and the helper
 * programs of the interop tests (tests/progs/tls-mkcert.c) share it.
 *
 * tlscert_make_dir(dir) writes, as PEM:
 *   ca.pem ca.key            CA "/C=US/O=tapir/CN=tapir test CA"
 *   server.pem server.key    /C=US/ST=California/L=Mountain View/O=tapir/CN=tapir.test
 *                            SAN DNS:tapir.test DNS:localhost IP:198.18.0.2 IP:127.0.0.1,
 *                            by the CA, valid from yesterday for 30 days
 *   expired.pem expired.key  the same names, by the CA, expired yesterday
 *   other-ca.pem other-ca.key  a second CA "/C=US/O=elsewhere/CN=untrusted test CA"
 *   unknown.pem unknown.key  the server's names, by the untrusted CA
 *   client.pem client.key    /C=US/O=tapir/CN=tapir client, by the CA
 */
#ifndef TAPIR_TESTS_TLSCERT_H
#define TAPIR_TESTS_TLSCERT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLSCERT_SERVER_SUBJECT "/C=US/ST=California/L=Mountain View/O=tapir/CN=tapir.test"
#define TLSCERT_CA_SUBJECT "/C=US/O=tapir/CN=tapir test CA"
#define TLSCERT_OTHER_CA_SUBJECT "/C=US/O=elsewhere/CN=untrusted test CA"
#define TLSCERT_CLIENT_SUBJECT "/C=US/O=tapir/CN=tapir client"

/* "/C=US/O=x/CN=y" -> an X509_NAME */
static inline X509_NAME *tlscert_name(const char *oneline)
{
    X509_NAME *n = X509_NAME_new();
    char buf[512];
    snprintf(buf, sizeof buf, "%s", oneline);
    char *save = NULL;
    for (char *part = strtok_r(buf, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        char *eq = strchr(part, '=');
        if (!eq)
            continue;
        *eq = '\0';
        X509_NAME_add_entry_by_txt(n, part, MBSTRING_ASC, (const unsigned char *)eq + 1, -1, -1, 0);
    }
    return n;
}

static inline bool tlscert_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!e)
        return false;
    bool ok = X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok;
}

/* A certificate for key, signed by ikey (issuer NULL: self-signed), valid
 * from now+from_days to now+to_days. */
static inline X509 *tlscert_make(EVP_PKEY *key, const char *subject, X509 *issuer, EVP_PKEY *ikey, long from_days,
                          long to_days, bool ca, const char *san, long serial)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400L);
    X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400L);
    X509_NAME *n = tlscert_name(subject);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509_NAME_free(n);
    X509_set_pubkey(x, key);
    bool ok = tlscert_ext(x, issuer, NID_subject_key_identifier, "hash");
    if (ca) {
        ok = ok && tlscert_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
        ok = ok && tlscert_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        ok = ok && tlscert_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE");
        ok = ok && tlscert_ext(x, issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        ok = ok && tlscert_ext(x, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
        ok = ok && tlscert_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
    }
    if (san)
        ok = ok && tlscert_ext(x, issuer, NID_subject_alt_name, san);
    if (!ok || !X509_sign(x, ikey ? ikey : key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static inline bool tlscert_write(const char *dir, const char *base, X509 *x, EVP_PKEY *k)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.pem", dir, base);
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = PEM_write_X509(f, x) == 1;
    fclose(f);
    snprintf(path, sizeof path, "%s/%s.key", dir, base);
    f = fopen(path, "w");
    if (!f)
        return false;
    ok = ok && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
    fclose(f);
    return ok;
}

#define TLSCERT_SAN "DNS:tapir.test,DNS:localhost,IP:198.18.0.2,IP:127.0.0.1"

/* Writes the whole set into dir (which must exist).  true on success. */
static inline bool tlscert_make_dir(const char *dir)
{
    EVP_PKEY *cak = EVP_EC_gen("P-256"), *sk = EVP_EC_gen("P-256"), *ek = EVP_EC_gen("P-256");
    EVP_PKEY *ok2 = EVP_EC_gen("P-256"), *uk = EVP_EC_gen("P-256"), *ck = EVP_EC_gen("P-256");
    X509 *ca = NULL, *srv = NULL, *exp = NULL, *oca = NULL, *unk = NULL, *cli = NULL;
    bool ok = cak && sk && ek && ok2 && uk && ck;
    if (ok) {
        ca = tlscert_make(cak, TLSCERT_CA_SUBJECT, NULL, NULL, -1, 365, true, NULL, 1);
        oca = tlscert_make(ok2, TLSCERT_OTHER_CA_SUBJECT, NULL, NULL, -1, 365, true, NULL, 2);
        ok = ca && oca;
    }
    if (ok) {
        srv = tlscert_make(sk, TLSCERT_SERVER_SUBJECT, ca, cak, -1, 30, false, TLSCERT_SAN, 0x1001);
        exp = tlscert_make(ek, TLSCERT_SERVER_SUBJECT, ca, cak, -30, -1, false, TLSCERT_SAN, 0x1002);
        unk = tlscert_make(uk, TLSCERT_SERVER_SUBJECT, oca, ok2, -1, 30, false, TLSCERT_SAN, 0x1003);
        cli = tlscert_make(ck, TLSCERT_CLIENT_SUBJECT, ca, cak, -1, 30, false, NULL, 0x1004);
        ok = srv && exp && unk && cli;
    }
    ok = ok && tlscert_write(dir, "ca", ca, cak) && tlscert_write(dir, "server", srv, sk) &&
         tlscert_write(dir, "expired", exp, ek) && tlscert_write(dir, "other-ca", oca, ok2) &&
         tlscert_write(dir, "unknown", unk, uk) && tlscert_write(dir, "client", cli, ck);
    X509_free(ca); X509_free(srv); X509_free(exp); X509_free(oca); X509_free(unk); X509_free(cli);
    EVP_PKEY_free(cak); EVP_PKEY_free(sk); EVP_PKEY_free(ek); EVP_PKEY_free(ok2);
    EVP_PKEY_free(uk); EVP_PKEY_free(ck);
    return ok;
}

#endif
