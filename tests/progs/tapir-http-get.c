/* A tiny HTTP/1.0 GET written on makefile(), for the interop test against
 * the kernel's `python3 -m http.server`:
 *
 *   tapir-http-get [device options] HOST PORT PATH
 *
 * Writes the request with fprintf on makefile("w"), reads the status line
 * and headers with fgets on makefile("r"), then the body (to stdout, exactly
 * Content-Length bytes when the server says it).  Exit 0 on a 200 with a
 * complete body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/tapir.h"

int main(int argc, char **argv)
{
    char *config = tapir_runner_config_from_args(&argc, argv);
    if (!config)
        return 2;
    if (argc != 4) {
        fprintf(stderr, "usage: tapir-http-get [--tap NAME --addr A/N ...] HOST PORT PATH\n");
        return 2;
    }
    tapir_runner *r = tapir_runner_start(config);
    free(config);
    if (!r) {
        tapir_perror("tapir-http-get: runner");
        return 1;
    }
    int rc = 1;
    int s = tapir_create_connection(TAPIR_ADDR(argv[1], atoi(argv[2])), 10.0, NULL);
    if (s < 0) {
        tapir_perror("tapir-http-get: connect");
        goto out;
    }
    FILE *w = tapir_makefile(s, "wb"), *in = tapir_makefile(s, "rb");
    tapir_close(s); /* the streams keep the connection open */
    if (!w || !in) {
        tapir_perror("tapir-http-get: makefile");
        goto out;
    }
    fprintf(w, "GET %s HTTP/1.0\r\nHost: %s:%s\r\nUser-Agent: tapir-http-get\r\n\r\n", argv[3], argv[1], argv[2]);
    if (fflush(w) != 0) {
        tapir_perror("tapir-http-get: send");
        goto out;
    }
    char line[4096];
    if (!fgets(line, sizeof line, in)) {
        fprintf(stderr, "tapir-http-get: no status line\n");
        goto out;
    }
    int status = 0;
    sscanf(line, "HTTP/%*d.%*d %d", &status);
    fprintf(stderr, "status: %s", line);
    long length = -1;
    while (fgets(line, sizeof line, in) && strcmp(line, "\r\n") != 0 && strcmp(line, "\n") != 0)
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            length = atol(line + 15);
    long got = 0;
    size_t n;
    char buf[8192];
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        fwrite(buf, 1, n, stdout);
        got += (long)n;
    }
    if (ferror(in))
        tapir_perror("tapir-http-get: read");
    fprintf(stderr, "body: %ld bytes (Content-Length %ld)\n", got, length);
    rc = status == 200 && !ferror(in) && (length < 0 || got == length) ? 0 : 1;
    fclose(w);
    fclose(in);
out:
    tapir_runner_stop(r);
    return rc;
}
