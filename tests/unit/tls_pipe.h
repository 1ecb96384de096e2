/* An in-process byte pipe with two ends, each a struct tapir_tls_transport:
 * what one end sends the other receives.  Bounded (cap bytes each way) so
 * want-write can happen; thread-safe so a client and a server can run in two
 * threads, or be pumped in turn by one thread in non-blocking mode. */
#ifndef TAPIR_TESTS_TLS_PIPE_H
#define TAPIR_TESTS_TLS_PIPE_H

#include <stddef.h>

#include "api/tls.h"

struct tls_pipe;

struct tls_pipe *tls_pipe_new(size_t cap);
/* Frees the pipe; both ends must be closed or unused by then. */
void tls_pipe_free(struct tls_pipe *p);
/* The transport of end 0 or 1.  Its close closes that end (the other then
 * reads EOF once the pipe is drained). */
struct tapir_tls_transport tls_pipe_end(struct tls_pipe *p, int end);
/* The end's timeout mode: < 0 blocking, 0 non-blocking, > 0 seconds. */
void tls_pipe_settimeout(struct tls_pipe *p, int end, double timeout);
/* Closes one end (as its transport close does). */
void tls_pipe_close(struct tls_pipe *p, int end);
/* Bytes that went through end's send so far. */
size_t tls_pipe_sent(struct tls_pipe *p, int end);

#endif
