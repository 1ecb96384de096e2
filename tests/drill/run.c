/* Placeholder executor until the stack core lands. */
#include <stdio.h>

#include "tests/drill/run.h"

int drill_run(const struct script *s, const struct drill_opts *opts, char *reason, size_t len)
{
    (void)opts;
    snprintf(reason, len, "%s: not run: the executor needs the stack core (stack/stack.c)", s->path);
    return -1;
}
