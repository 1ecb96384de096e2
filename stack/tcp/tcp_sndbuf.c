/* Send-buffer accounting with Linux's observable rules.
 *
 * tapir keeps the bytes of the send buffer in one ring (tcp_buf.c), but what
 * an application sees -- how much a write() accepts, when POLLOUT / EPOLLOUT
 * comes back, what SO_SNDBUF means -- follows Linux, whose limit counts
 * memory, not payload:
 *
 *   sk_sndbuf      the limit: SO_SNDBUF doubled (socket.c), or tcp_wmem[1]
 *                  grown by autotuning to two congestion windows of
 *                  worst-case buffers (tcp_sndbuf_expand, below);
 *   sk_wmem_queued payload queued (unacknowledged + unsent) plus a fixed
 *                  overhead per buffer ("skb": TCP_SKB_OVERHEAD, the
 *                  truesize of an empty Linux skb with its 1 KB head).
 *
 * So the number of buffers matters, and it is modelled here as Linux builds
 * them: a write fills the last unsent buffer up to the "size goal" (as many
 * whole segments as fit in 64 KB and in half the peer's largest window,
 * tcp_xmit_size_goal), then starts a new one -- only while
 * sk_wmem_queued < sk_sndbuf (sk_stream_memory_free) and fewer than
 * TCP_NOTSENT_LOWAT bytes wait unsent.  A transmission burst that ends inside
 * a buffer splits it there (tso_fragment); acknowledged buffers go away.
 * Only the buffer boundaries are kept (a ring of end sequence numbers), never
 * a copy of the data.
 *
 * Writability (tcp_poll, sk_stream_write_space): free space at least half of
 * what is queued (sk_stream_wspace >= sk_stream_min_wspace), and unsent bytes
 * below half of TCP_NOTSENT_LOWAT.  A writer that was refused sets "nospace";
 * only then does an ACK that freed memory grow the buffer (if the congestion
 * window is not full) and wake the writer, once writable: with edge-triggered
 * epoll that is exactly one EPOLLOUT per refused write.
 */
#include <stdlib.h>
#include <string.h>

#include "stack/tcp/tcp.h"

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t max32(uint32_t a, uint32_t b) { return a > b ? a : b; }

uint32_t tcp_size_goal(const struct tcpcb *tp)
{
    uint32_t mss = tp->mss ? tp->mss : TCP_MSS_DEFAULT4;
    /* tcp_bound_to_half_wnd: at most half the largest window the peer
     * offered (all of it when that is tiny), at most one 64 KB TSO frame. */
    uint32_t goal = TCP_SIZE_GOAL_MAX;
    if (tp->max_sndwnd) {
        uint32_t cut = tp->max_sndwnd > TCP_MSS_DEFAULT4 ? tp->max_sndwnd / 2 : tp->max_sndwnd;
        goal = min32(goal, cut);
    }
    goal = goal / mss * mss;
    return max32(goal, mss);
}

uint32_t tcp_notsent_bytes(const struct tcpcb *tp)
{
    uint32_t off = tp->snd_nxt - tp->snd_buf_seq;
    return off < tp->sndbuf.len ? tp->sndbuf.len - off : 0;
}

static uint32_t notsent_lowat(const struct tcpcb *tp)
{
    return tp->notsent_lowat ? tp->notsent_lowat : tp->st->cfg.tcp.notsent_lowat;
}

uint64_t tcp_wmem_queued(const struct tcpcb *tp)
{
    return (uint64_t)tp->sndbuf.len + (uint64_t)tp->skb_n * TCP_SKB_OVERHEAD;
}

bool tcp_sndbuf_memory_free(const struct tcpcb *tp)
{
    if (tcp_wmem_queued(tp) >= tp->sk.sndbuf)
        return false;
    return tcp_notsent_bytes(tp) < notsent_lowat(tp);
}

bool tcp_sndbuf_writeable(const struct tcpcb *tp)
{
    uint64_t q = tcp_wmem_queued(tp);
    if (q >= tp->sk.sndbuf || tp->sk.sndbuf - q < q / 2)
        return false;
    return (uint64_t)tcp_notsent_bytes(tp) * 2 < notsent_lowat(tp);
}

/* ---- the buffer boundaries ---- */

static uint32_t *skb_at(struct tcpcb *tp, uint32_t i)
{
    return &tp->skb_end[(tp->skb_head + i) % tp->skb_cap];
}

static bool skb_grow(struct tcpcb *tp)
{
    uint32_t ncap = tp->skb_cap ? tp->skb_cap * 2 : 16;
    if (ncap > TCP_SKB_MODEL_MAX)
        return false;
    uint32_t *n = malloc(ncap * sizeof *n);
    if (!n)
        return false;
    for (uint32_t i = 0; i < tp->skb_n; i++)
        n[i] = *skb_at(tp, i);
    free(tp->skb_end);
    tp->skb_end = n;
    tp->skb_cap = ncap;
    tp->skb_head = 0;
    return true;
}

/* Inserts a boundary at position i (0 = before the first end). */
static void skb_insert(struct tcpcb *tp, uint32_t i, uint32_t end)
{
    if (tp->skb_n == tp->skb_cap && !skb_grow(tp))
        return;                  /* at the cap: the model merges (less overhead) */
    for (uint32_t k = tp->skb_n; k > i; k--)
        *skb_at(tp, k) = *skb_at(tp, k - 1);
    *skb_at(tp, i) = end;
    tp->skb_n++;
}

uint32_t tcp_skb_tail_room(const struct tcpcb *tp, uint32_t goal)
{
    if (tp->skb_n == 0)
        return 0;
    uint32_t end = tp->skb_end[(tp->skb_head + tp->skb_n - 1) % tp->skb_cap];
    uint32_t start = tp->skb_n > 1 ? tp->skb_end[(tp->skb_head + tp->skb_n - 2) % tp->skb_cap] : tp->snd_buf_seq;
    /* Only a buffer nothing of which was sent yet takes more bytes. */
    if (seq_lt(start, tp->snd_nxt) || (tp->fin_sent))
        return 0;
    uint32_t len = end - start;
    return len < goal ? goal - len : 0;
}

void tcp_skb_append(struct tcpcb *tp, uint32_t n, bool new_skb)
{
    uint32_t end = tp->snd_buf_seq + tp->sndbuf.len;   /* already includes n */
    if (new_skb || tp->skb_n == 0)
        skb_insert(tp, tp->skb_n, end);
    else
        *skb_at(tp, tp->skb_n - 1) = end;
    (void)n;
}

void tcp_skb_split(struct tcpcb *tp, uint32_t seq)
{
    uint32_t start = tp->snd_buf_seq;
    for (uint32_t i = 0; i < tp->skb_n; i++) {
        uint32_t end = *skb_at(tp, i);
        if (seq_gt(seq, start) && seq_lt(seq, end)) {
            skb_insert(tp, i, seq);
            return;
        }
        if (seq_leq(seq, end))
            return;
        start = end;
    }
}

void tcp_skb_acked(struct tcpcb *tp)
{
    while (tp->skb_n && seq_leq(*skb_at(tp, 0), tp->snd_una)) {
        tp->skb_head = (tp->skb_head + 1) % tp->skb_cap;
        tp->skb_n--;
    }
    if (tp->sndbuf.len == 0)
        tp->skb_n = 0;
}

void tcp_skb_free(struct tcpcb *tp)
{
    free(tp->skb_end);
    tp->skb_end = NULL;
    tp->skb_cap = tp->skb_head = tp->skb_n = 0;
}

/* ---- autotuning and the write-space wake-up ---- */

void tcp_sndbuf_expand(struct tcpcb *tp)
{
    if (tp->sndbuf_locked)
        return;
    /* Linux's worst case: each segment in its own buffer whose head is a
     * power-of-two allocation (payload + TCP_SKB_HEADROOM), plus the
     * buffer's own bookkeeping; two congestion windows of those (room for
     * fast recovery, and for an application slow to react to EPOLLOUT). */
    uint32_t mss = max32(tp->snd_mss, tp->mss);
    uint32_t need = mss + TCP_SKB_HEADROOM, pow2 = 1;
    while (pow2 < need)
        pow2 <<= 1;
    uint64_t per_mss = (uint64_t)pow2 + TCP_SKB_STRUCT;
    uint32_t m = tp->mss ? tp->mss : 1;
    uint32_t segs = max32(TCP_INIT_CWND, tp->cwnd / m);
    segs = max32(segs, tp->st->cfg.tcp.reordering + 1);
    uint64_t want = 2 * (uint64_t)segs * per_mss;
    if (want > tp->st->cfg.tcp.wmem[2])
        want = tp->st->cfg.tcp.wmem[2];
    if (want > tp->sk.sndbuf)
        tp->sk.sndbuf = (uint32_t)want;
}

void tcp_check_space(struct tcpcb *tp)
{
    if (!tp->queue_shrunk)
        return;
    tp->queue_shrunk = false;
    if (!tp->nospace)
        return;
    /* tcp_new_space: grow only while the congestion window has room (the
     * buffer, not the network, is what holds the sender back). */
    if (tcp_pipe(tp) < tp->cwnd)
        tcp_sndbuf_expand(tp);
    tcp_sndbuf_write_space(tp);
}

void tcp_sndbuf_write_space(struct tcpcb *tp)
{
    if (!tcp_sndbuf_writeable(tp))
        return;
    tp->nospace = false;
    if (tp->limited_kind == 2)
        tcp_note_limited(tp, 0);
    sock_wake(&tp->sk);
}
