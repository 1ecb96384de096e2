/* Shell lines in scripts (`../common/defaults.sh`, set_sysctls.py, sysctl,
 * tc, ethtool) mapped onto tapir's settings instead of being run. */
#ifndef TAPIR_DRILL_SYSCTL_H
#define TAPIR_DRILL_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

struct stack;

/* tapir's defaults for a fresh stack under the runner (nothing to change yet:
 * the stack's own defaults follow Linux). */
void sysctl_defaults(struct stack *st);
/* Applies every line of a command.  *drop_tx is set by `tc qdisc ... limit 0`
 * (the device drops what tapir sends) and cleared by other qdisc changes.
 * Returns 0, or -1 when a line cannot be honoured (note says which).  Lines
 * that tapir has no use for are noted, not refused. */
int sysctl_apply_command(struct stack *st, const char *cmd, bool *drop_tx, char *note, size_t notelen);

#endif
