/* The executor: runs one parsed script against a fresh tapir stack on a
 * virtual clock (see run.c). */
#ifndef TAPIR_DRILL_RUN_H
#define TAPIR_DRILL_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/drill/drill.h"

struct drill_opts {
    bool verbose;
    uint64_t seed;
};

/* Returns 0 when the script passed; -1 with the reason (script:line: ...)
 * in reason otherwise. */
int drill_run(const struct script *s, const struct drill_opts *opts, char *reason, size_t len);

#endif
