/* Congestion-control registry and the helpers controllers share. */
#include <string.h>

#include "stack/tcp/cc.h"
#include "stack/tcp/tcp.h"

static const struct cc_algo *const algos[] = {&cc_cubic, &cc_newreno};

const struct cc_algo *cc_find(const char *name)
{
    if (!name)
        return NULL;
    if (strcmp(name, "reno") == 0)
        return &cc_newreno;
    for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++)
        if (strcmp(algos[i]->name, name) == 0)
            return algos[i];
    return NULL;
}

uint32_t cc_initial_window(const struct tcpcb *tp)
{
    /* RFC 6928 allows min(10*MSS, max(2*MSS, 14600)); Linux simply uses 10
     * segments, which is what packetdrill scripts expect. */
    uint32_t segs = tp->st->cfg.tcp.init_cwnd ? tp->st->cfg.tcp.init_cwnd : TCP_INIT_CWND;
    return segs * tp->mss;
}

uint32_t cc_slow_start(struct tcpcb *tp, uint32_t acked)
{
    /* RFC 5681 3.1: cwnd += min(N, SMSS) per ACK; like Linux (and RFC 3465
     * with no limit L) we count every byte acknowledged, so a stretch ACK
     * grows cwnd as the ACKs it stands for would have. */
    uint32_t room = tp->ssthresh > tp->cwnd ? tp->ssthresh - tp->cwnd : 0;
    uint32_t grow = acked < room ? acked : room;
    tp->cwnd += grow;
    if (grow)
        tp->ss_grow_time = tp->st->now;
    return acked - grow;
}
