/* Linux's sysctl names mapped onto tapir's run-time settings. */
#ifndef TAPIR_STACK_SYSCTL_H
#define TAPIR_STACK_SYSCTL_H

#include <stddef.h>

struct stack_settings;

/* Sets the setting Linux calls `path` ("tcp_sack", "net.ipv4.tcp_sack" or
 * "/proc/sys/net/ipv4/tcp_sack") from its sysctl text ("1", "4096 87380
 * 6291456", "cubic").  0 when taken, or when the knob has no tapir
 * counterpart (then `note` says so); -1 for a bad value or one tapir cannot
 * honour (`note` says why).  Notes are appended to note ("; "-separated). */
int stack_sysctl_set(struct stack_settings *cfg, const char *path, const char *value, char *note, size_t notelen);
/* Appends a note (fmt with two strings) to note, "; "-separated, within len. */
void sysctl_note(char *note, size_t len, const char *fmt, const char *a, const char *b);

#endif
