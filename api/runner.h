/* The runner: owns one stack and its devices, and moves frames and time
 * between them on an event-loop thread (epoll on the device fds, a timerfd for
 * the stack's next deadline, an eventfd to be woken).
 *
 * Locking contract (what api/socket.c and friends rely on):
 *   - Every call into the stack, from the loop thread or an application
 *     thread, happens between tapir_runner_lock() and tapir_runner_unlock().
 *     lock() also advances the stack's clock to the current time.
 *   - Application threads wait for socket readiness with pthread condition
 *     variables on tapir_runner_mutex(r); socket wake hooks (stack/socket.h)
 *     broadcast them.  Nothing spins.
 *   - unlock() wakes the loop thread if the stack's next deadline moved
 *     earlier than the one it sleeps towards (a new timer armed by a call).
 *
 * Configuration string, space-separated key=value (all optional but a device):
 *   tap=NAME            open (or create) TAP device NAME
 *   pcap=IFNAME         a live NIC through libpcap
 *   addr=A.B.C.D/N      IPv4 address and prefix on that device
 *   gw=A.B.C.D          default gateway
 *   addr=IPV6/N         an IPv6 address (DAD runs before it is used); the link-local
 *                       address, router solicitation and SLAAC need no configuration
 *   gw=IPV6             IPv6 default router (routers' RAs also give one)
 *   ipv6=0              no IPv6 on the device (default on, like Linux)
 *   eui64=1             IPv6 interface ids from the MAC (default: RFC 7217 stable ids)
 *   dad=N               duplicate address detection probes (default 1, 0 = off)
 *   mac=xx:xx:...       our MAC (default: on a TAP, one derived from the kernel side's, the
 *                       same each time the TAP is opened; elsewhere a random locally
 *                       administered one from the seed)
 *   mtu=N               MTU (default: the device's)
 *   capture=FILE        write every frame to a pcap file (pcap writer middleware)
 *   trace=1             print one tcpdump-like line per frame to stderr
 *   seed=N              fixed random seed (default: getrandom)
 *   hostname=NAME       the stack's host name
 *   offload=1           TAP with IFF_VNET_HDR: TSO and checksum offload (default off)
 *   log=N               the stack's log on stderr: 0 errors, 1 info, 2 debug (default none)
 *   tcp_timewait_ms=N   TIME_WAIT length (default 60000, 2*MSL): tests that open and
 *                       close many connections shorten it
 *   drop=P corrupt=P dup=P ce=P     fault injector (drivers/fault.h) between the device and
 *   drop_tx= drop_rx= corrupt_tx=   the stack: probabilities 0..1, both directions or one;
 *   corrupt_rx= dup_tx= dup_rx=     seeded from seed= (the capture still sees the real wire);
 *   ce_tx= ce_rx=                   ce marks ECN-capable packets Congestion Experienced
 *   net.ipv4.NAME=VALUE  a setting by its Linux sysctl name (stack/sysctl.c): tcp_ecn=1,
 *                       tcp_sack=0, tcp_congestion_control=reno, tcp_rmem=4096,131072,6291456
 *                       (commas for spaces) ...; an unknown name or bad value fails the start
 * addr= may be given several times.
 */
#ifndef TAPIR_API_RUNNER_H
#define TAPIR_API_RUNNER_H

#include <pthread.h>
#include <stdint.h>

#include "stack/counters.h"   /* struct tapir_counters: part of this API */

struct stack;
struct tapir_device;
struct tapir_counters;
typedef struct tapir_runner tapir_runner;

/* Starts a runner from a configuration string.  NULL on failure, with the
 * thread-local error set (tapir_last_error). The first runner started becomes
 * the default one, on which tapir_socket() creates sockets. */
tapir_runner *tapir_runner_start(const char *config);
/* Starts a runner on a device the caller opened (memlink, a wrapped device);
 * config as above without the device key. The runner owns dev afterwards. */
tapir_runner *tapir_runner_start_on(struct tapir_device *dev, const char *config);
void tapir_runner_stop(tapir_runner *r);

/* For command-line tools: takes the device options out of argv (--tap NAME,
 * --pcap IF, --addr A/N, --gw A, --mac M, --mtu N, --capture FILE, --trace,
 * --seed N, --hostname H, --offload, --log N, --drop P, --corrupt P, --dup P, --ce P,
 * and --config 'key=value ...'),
 * as `--opt VALUE` or `--opt=VALUE`, and returns the configuration string:
 * $TAPIR_CONFIG first, then the options in order (a later key wins; addr
 * adds).  argv keeps the other arguments, in order; *argc is updated.
 * Caller frees; NULL (message on stderr) for an option missing its value. */
char *tapir_runner_config_from_args(int *argc, char **argv);

tapir_runner *tapir_runner_default(void);
void tapir_runner_set_default(tapir_runner *r);

/* Locking for the API layer (see above).  lock() returns the stack. */
struct stack *tapir_runner_lock(tapir_runner *r);
void tapir_runner_unlock(tapir_runner *r);
pthread_mutex_t *tapir_runner_mutex(tapir_runner *r);
/* Waiting for a socket with the lock held: wakes the loop first if the
 * stack's deadline moved earlier (as unlock() does: a call that armed a
 * timer, then waits without unlocking, must not leave the loop asleep), then
 * waits on cv until signalled or until_us (tapir_now_us clock; UINT64_MAX:
 * no limit), and advances the stack's clock.  0, or ETIMEDOUT.  cv must use
 * CLOCK_MONOTONIC: initialise it with tapir_runner_cond_init(). */
int tapir_runner_wait(tapir_runner *r, pthread_cond_t *cv, uint64_t until_us);
void tapir_runner_cond_init(pthread_cond_t *cv);
/* Monotonic time in µs, the clock the runner feeds the stack. */
uint64_t tapir_now_us(void);

/* A copy of the stack's counters; and `netstat -s`-like text of the non-zero
 * ones (caller frees). */
/* The host name (hostname=, default "tapir") and the stack's interface
 * index of the runner's device. */
const char *tapir_runner_hostname(tapir_runner *r);
int tapir_runner_ifindex(tapir_runner *r);
/* The MAC the stack uses on the runner's device. */
void tapir_runner_mac(tapir_runner *r, uint8_t mac[6]);

void tapir_runner_counters(tapir_runner *r, struct tapir_counters *out);
char *tapir_counters_format(const struct tapir_counters *c);
/* A copy of the stack's gauges (stack/counters.h: state held right now, all
 * zero once every socket is closed and TIME_WAIT is over); and one
 * "name value  description" line per gauge, zeros included (caller frees). */
void tapir_runner_gauges(tapir_runner *r, struct tapir_gauges *out);
char *tapir_gauges_format(const struct tapir_gauges *g);

#endif
