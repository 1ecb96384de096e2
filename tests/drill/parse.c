/* The parser of packetdrill's script language: a hand-written recursive
 * descent over lex.c's tokens, producing the event list of drill.h.
 *
 *   script  := option* [`init`] event* [`cleanup`]
 *   event   := time action
 *   time    := '*' | ['+'] secs ['~' ['+'] secs]
 *   action  := packet | [... secs] syscall | %{code}% | `command`
 *   packet  := ('<'|'>') [ip_info] [port '>' port] flags seq [ack N] [win N]
 *              [urg N] ['<' options '>' | '<' ... '>']
 *   syscall := name '(' [expr {',' expr}] ')' '=' expr [ERRNO] ['(' note ')']
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/drill/drill.h"

#define LOOKAHEAD 4

struct parser {
    struct lexer lx;
    struct token la[LOOKAHEAD]; /* la[0] is the current token */
    int n_la;
    const char *path;
    char *err;
    size_t errlen;
    bool failed;
};

static void fail(struct parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct parser *p, int line, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%d: %s", p->path, line, msg);
}

static void fill(struct parser *p)
{
    while (p->n_la < LOOKAHEAD) {
        struct token *t = &p->la[p->n_la];
        if (p->n_la > 0 && p->la[p->n_la - 1].type == TK_EOF) {
            memset(t, 0, sizeof *t);
            t->type = TK_EOF;
            t->line = p->la[p->n_la - 1].line;
            t->text = strdup("");
        } else if (!lex_next(&p->lx, t)) {
            fail(p, p->lx.line, "%s", p->lx.err);
            memset(t, 0, sizeof *t);
            t->type = TK_EOF;
            t->line = p->lx.line;
            t->text = strdup("");
        }
        p->n_la++;
    }
}

static struct token *cur(struct parser *p) { fill(p); return &p->la[0]; }
static struct token *ahead(struct parser *p, int k) { fill(p); return &p->la[k]; }

static void advance(struct parser *p)
{
    fill(p);
    token_free(&p->la[0]);
    memmove(&p->la[0], &p->la[1], sizeof(struct token) * (LOOKAHEAD - 1));
    p->n_la--;
}

static bool is_punct(const struct token *t, char c)
{
    return t->type == TK_PUNCT && t->text[0] == c;
}
static bool is_word(const struct token *t, const char *w)
{
    return t->type == TK_WORD && strcmp(t->text, w) == 0;
}

static bool accept_punct(struct parser *p, char c)
{
    if (is_punct(cur(p), c)) {
        advance(p);
        return true;
    }
    return false;
}

static bool expect_punct(struct parser *p, char c, const char *what)
{
    if (accept_punct(p, c))
        return true;
    fail(p, cur(p)->line, "expected '%c' %s, found '%s'", c, what, cur(p)->text);
    return false;
}

static bool expect_int(struct parser *p, int64_t *v, const char *what)
{
    struct token *t = cur(p);
    if (t->type != TK_INT) {
        fail(p, t->line, "expected a number for %s, found '%s'", what, t->text);
        return false;
    }
    *v = t->ival;
    advance(p);
    return true;
}

static bool expect_u32(struct parser *p, uint32_t *v, const char *what)
{
    int64_t x;
    if (!expect_int(p, &x, what))
        return false;
    if (x < 0 || x > 0xffffffffLL) {
        fail(p, cur(p)->line, "%s out of range: %lld", what, (long long)x);
        return false;
    }
    *v = (uint32_t)x;
    return true;
}

static char *xstrdup(const char *s)
{
    char *r = strdup(s);
    if (!r)
        abort();
    return r;
}

/* ---------------- expressions ---------------- */

static struct expr *new_expr(enum ex_type type)
{
    struct expr *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    e->type = type;
    return e;
}

static void add_item(struct expr *e, struct expr *item)
{
    e->items = realloc(e->items, sizeof(*e->items) * (size_t)(e->n_items + 1));
    if (!e->items)
        abort();
    e->items[e->n_items++] = item;
}

void expr_free(struct expr *e)
{
    if (!e)
        return;
    free(e->str);
    expr_free(e->lhs);
    expr_free(e->rhs);
    for (int i = 0; i < e->n_items; i++)
        expr_free(e->items[i]);
    free(e->items);
    free(e);
}

static struct expr *parse_expr(struct parser *p);

/* A comma-separated list up to the closing character. */
static void parse_list_into(struct parser *p, struct expr *e, char close)
{
    if (accept_punct(p, close))
        return;
    for (;;) {
        struct expr *item = parse_expr(p);
        if (!item)
            return;
        add_item(e, item);
        if (accept_punct(p, ','))
            continue;
        expect_punct(p, close, "to close a list");
        return;
    }
}

static struct expr *parse_primary(struct parser *p)
{
    struct token *t = cur(p);
    struct expr *e;
    switch (t->type) {
    case TK_ELLIPSIS:
        advance(p);
        return new_expr(EX_ELLIPSIS);
    case TK_INT:
        e = new_expr(EX_INT);
        e->num = t->ival;
        e->hex = t->hex;
        advance(p);
        return e;
    case TK_STRING: {
        /* Adjacent strings concatenate; a trailing ... means "prefix of". */
        e = new_expr(EX_STRING);
        e->str = xstrdup(t->text);
        advance(p);
        while (cur(p)->type == TK_STRING) {
            size_t a = strlen(e->str), b = strlen(cur(p)->text);
            e->str = realloc(e->str, a + b + 1);
            if (!e->str)
                abort();
            memcpy(e->str + a, cur(p)->text, b + 1);
            advance(p);
        }
        if (cur(p)->type == TK_ELLIPSIS)
            advance(p);
        return e;
    }
    case TK_WORD: {
        char *name = xstrdup(t->text);
        advance(p);
        if (is_punct(cur(p), '(')) {
            /* name(args) or name(arg)=value (msg_iov(1)=[...]) */
            advance(p);
            struct expr *call = new_expr(EX_CALL);
            call->str = name;
            parse_list_into(p, call, ')');
            if (is_punct(cur(p), '=')) {
                advance(p);
                e = new_expr(EX_FIELD);
                e->str = xstrdup(name);
                e->lhs = call;
                e->rhs = parse_expr(p);
                return e;
            }
            return call;
        }
        if (is_punct(cur(p), '=')) {
            advance(p);
            e = new_expr(EX_FIELD);
            e->str = name;
            e->rhs = parse_expr(p);
            return e;
        }
        e = new_expr(EX_WORD);
        e->str = name;
        return e;
    }
    case TK_PUNCT:
        if (t->text[0] == '[') {
            advance(p);
            e = new_expr(EX_LIST);
            parse_list_into(p, e, ']');
            return e;
        }
        if (t->text[0] == '{') {
            advance(p);
            e = new_expr(EX_STRUCT);
            parse_list_into(p, e, '}');
            return e;
        }
        break;
    default:
        break;
    }
    fail(p, t->line, "unexpected '%s' in an expression", t->text);
    return NULL;
}

static struct expr *parse_expr(struct parser *p)
{
    struct expr *e = parse_primary(p);
    while (e && !p->failed && is_punct(cur(p), '|')) {
        advance(p);
        struct expr *o = new_expr(EX_OR);
        o->lhs = e;
        o->rhs = parse_primary(p);
        e = o;
    }
    if (p->failed) {
        expr_free(e);
        return NULL;
    }
    return e;
}

char *expr_str(const struct expr *e, char *buf, size_t len)
{
    char a[256], b[256];
    if (!e) {
        snprintf(buf, len, "?");
        return buf;
    }
    switch (e->type) {
    case EX_ELLIPSIS: snprintf(buf, len, "..."); break;
    case EX_INT:
        if (e->hex)
            snprintf(buf, len, "%#llx", (unsigned long long)e->num);
        else
            snprintf(buf, len, "%lld", (long long)e->num);
        break;
    case EX_WORD: snprintf(buf, len, "%s", e->str); break;
    case EX_STRING: snprintf(buf, len, "\"%s\"", e->str); break;
    case EX_OR:
        snprintf(buf, len, "%s|%s", expr_str(e->lhs, a, sizeof a), expr_str(e->rhs, b, sizeof b));
        break;
    case EX_FIELD:
        if (e->lhs)
            snprintf(buf, len, "%s=%s", expr_str(e->lhs, a, sizeof a), expr_str(e->rhs, b, sizeof b));
        else
            snprintf(buf, len, "%s=%s", e->str, expr_str(e->rhs, b, sizeof b));
        break;
    case EX_LIST:
    case EX_STRUCT:
    case EX_CALL: {
        size_t n = 0;
        const char *open = e->type == EX_LIST ? "[" : e->type == EX_STRUCT ? "{" : "(";
        const char *close = e->type == EX_LIST ? "]" : e->type == EX_STRUCT ? "}" : ")";
        n += (size_t)snprintf(buf + n, len - n, "%s%s", e->type == EX_CALL ? e->str : "", open);
        for (int i = 0; i < e->n_items && n < len; i++)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", expr_str(e->items[i], a, sizeof a));
        if (n < len)
            snprintf(buf + n, len - n, "%s", close);
        break;
    }
    }
    return buf;
}

/* ---------------- packets ---------------- */

static bool parse_tcp_options(struct parser *p, struct dr_packet *pk)
{
    /* after '<' */
    if (cur(p)->type == TK_ELLIPSIS) {
        advance(p);
        pk->opts_any = true;
        return expect_punct(p, '>', "after <...");
    }
    for (;;) {
        struct token *t = cur(p);
        if (pk->n_opts >= DR_MAX_OPTS) {
            fail(p, t->line, "too many TCP options");
            return false;
        }
        struct tcp_opt *o = &pk->opts[pk->n_opts];
        memset(o, 0, sizeof *o);
        int64_t v;
        if (is_word(t, "nop")) {
            advance(p);
            o->kind = OPT_NOP;
        } else if (is_word(t, "eol")) {
            advance(p);
            o->kind = OPT_EOL;
        } else if (is_word(t, "mss")) {
            advance(p);
            if (!expect_int(p, &v, "mss"))
                return false;
            if (v < 0 || v > 65535) {
                fail(p, t->line, "mss value out of range");
                return false;
            }
            o->kind = OPT_MSS;
            o->mss = (uint16_t)v;
        } else if (is_word(t, "wscale")) {
            advance(p);
            if (!expect_int(p, &v, "wscale"))
                return false;
            if (v < 0 || v > 255) {
                fail(p, t->line, "window scale shift count out of range");
                return false;
            }
            o->kind = OPT_WSCALE;
            o->wscale = (uint8_t)v;
        } else if (is_word(t, "sackOK")) {
            advance(p);
            o->kind = OPT_SACKOK;
        } else if (is_word(t, "sack")) {
            advance(p);
            o->kind = OPT_SACK;
            while (cur(p)->type == TK_INT) {
                if (o->n_sack == 4) {
                    fail(p, t->line, "more than 4 SACK blocks");
                    return false;
                }
                if (!expect_u32(p, &o->sack[o->n_sack][0], "SACK left edge") ||
                    !expect_punct(p, ':', "in a SACK block") ||
                    !expect_u32(p, &o->sack[o->n_sack][1], "SACK right edge"))
                    return false;
                o->n_sack++;
            }
            if (o->n_sack == 0) {
                fail(p, t->line, "sack option without blocks");
                return false;
            }
        } else if (is_word(t, "TS")) {
            advance(p);
            if (!is_word(cur(p), "val")) {
                fail(p, cur(p)->line, "expected 'val' after TS");
                return false;
            }
            advance(p);
            if (!expect_u32(p, &o->ts_val, "TS val"))
                return false;
            if (!is_word(cur(p), "ecr")) {
                fail(p, cur(p)->line, "expected 'ecr' after TS val");
                return false;
            }
            advance(p);
            if (!expect_u32(p, &o->ts_ecr, "TS ecr"))
                return false;
            o->kind = OPT_TS;
        } else if (is_word(t, "FO")) {
            /* TCP Fast Open (RFC 7413), with an optional hex cookie. */
            advance(p);
            o->kind = OPT_FASTOPEN;
            struct token *c = cur(p);
            if ((c->type == TK_WORD || c->type == TK_INT) && !is_word(c, "nop") && !is_word(c, "eol")) {
                const char *hx = c->text;
                size_t n = strlen(hx);
                if (n % 2 || n / 2 > sizeof o->cookie) {
                    fail(p, c->line, "bad Fast Open cookie '%s'", hx);
                    return false;
                }
                for (size_t i = 0; i < n / 2; i++) {
                    unsigned b;
                    if (sscanf(hx + 2 * i, "%2x", &b) != 1) {
                        fail(p, c->line, "bad Fast Open cookie '%s'", hx);
                        return false;
                    }
                    o->cookie[i] = (uint8_t)b;
                }
                o->cookie_len = (int)(n / 2);
                advance(p);
            }
        } else {
            fail(p, t->line, "unsupported TCP option '%s'", t->text);
            return false;
        }
        pk->n_opts++;
        if (accept_punct(p, ','))
            continue;
        return expect_punct(p, '>', "to close the TCP options");
    }
}

/* [ect0] / [tos 0x10] / (ttl 64) in front of the flags. */
static bool parse_ip_info(struct parser *p, struct dr_packet *pk)
{
    char close = cur(p)->text[0] == '[' ? ']' : ')';
    advance(p);
    for (;;) {
        struct token *t = cur(p);
        if (is_word(t, "noecn")) { pk->ecn = 0; advance(p); }
        else if (is_word(t, "ect1")) { pk->ecn = 1; advance(p); }
        else if (is_word(t, "ect0")) { pk->ecn = 2; advance(p); }
        else if (is_word(t, "ce")) { pk->ecn = 3; advance(p); }
        else if (is_word(t, "tos") || is_word(t, "ttl")) {
            bool tos = is_word(t, "tos");
            advance(p);
            int64_t v;
            if (!expect_int(p, &v, tos ? "tos" : "ttl"))
                return false;
            if (v < 0 || v > 255) {
                fail(p, t->line, "%s out of range", tos ? "tos" : "ttl");
                return false;
            }
            if (tos)
                pk->tos = (int)v;
            else
                pk->ttl = (int)v;
        } else {
            fail(p, t->line, "unsupported IP info '%s'", t->text);
            return false;
        }
        if (accept_punct(p, ','))
            continue;
        return expect_punct(p, close, "after IP info");
    }
}

static bool parse_flags(struct parser *p, struct dr_packet *pk)
{
    struct token *t = cur(p);
    if (is_punct(t, '.')) {
        pk->flags = TH_ACK;
        advance(p);
        return true;
    }
    if (is_punct(t, '-')) {
        pk->flags = 0;
        advance(p);
        return true;
    }
    if (t->type != TK_WORD) {
        fail(p, t->line, "expected TCP flags, found '%s'", t->text);
        return false;
    }
    for (const char *c = t->text; *c; c++) {
        switch (*c) {
        case 'F': pk->flags |= TH_FIN; break;
        case 'S': pk->flags |= TH_SYN; break;
        case 'R': pk->flags |= TH_RST; break;
        case 'P': pk->flags |= TH_PSH; break;
        case 'U': pk->flags |= TH_URG; break;
        case 'E': pk->flags |= TH_ECE; break;
        case 'W': pk->flags |= TH_CWR; break;
        default:
            fail(p, t->line, "unknown TCP flag '%c' in '%s'", *c, t->text);
            return false;
        }
    }
    advance(p);
    if (accept_punct(p, '.'))
        pk->flags |= TH_ACK;
    return true;
}

static bool parse_packet(struct parser *p, struct event *ev)
{
    struct dr_packet *pk = &ev->pkt;
    memset(pk, 0, sizeof *pk);
    pk->win = -1;
    pk->ecn = -1;
    pk->tos = -1;
    pk->inbound = cur(p)->text[0] == '<';
    advance(p);
    if (is_punct(cur(p), '[') || is_punct(cur(p), '(')) {
        if (!parse_ip_info(p, pk))
            return false;
    }
    if (cur(p)->type == TK_INT && is_punct(ahead(p, 1), '>')) {
        int64_t a, b;
        expect_int(p, &a, "source port");
        advance(p);
        if (!expect_int(p, &b, "destination port"))
            return false;
        if (a < 0 || a > 65535 || b < 0 || b > 65535) {
            fail(p, ev->line, "port out of range");
            return false;
        }
        pk->has_ports = true;
        pk->sport = (uint16_t)a;
        pk->dport = (uint16_t)b;
    }
    if (is_word(cur(p), "udp") || is_word(cur(p), "icmp")) {
        fail(p, ev->line, "%s packets are not supported (TCP only)", cur(p)->text);
        return false;
    }
    if (!parse_flags(p, pk))
        return false;
    int64_t len;
    if (!expect_u32(p, &pk->seq, "start sequence number") || !expect_punct(p, ':', "in seq:end(len)") ||
        !expect_u32(p, &pk->end, "end sequence number") || !expect_punct(p, '(', "in seq:end(len)") ||
        !expect_int(p, &len, "payload length") || !expect_punct(p, ')', "in seq:end(len)"))
        return false;
    if (len < 0 || len > 65535) {
        fail(p, ev->line, "TCP payload size out of range");
        return false;
    }
    pk->len = (uint16_t)len;
    if ((uint32_t)(pk->seq + pk->len) != pk->end) {
        fail(p, ev->line, "inconsistent TCP sequence numbers and payload size");
        return false;
    }
    for (;;) {
        struct token *t = cur(p);
        if (is_word(t, "ack")) {
            advance(p);
            if (!expect_u32(p, &pk->ack, "ack"))
                return false;
        } else if (is_word(t, "win")) {
            advance(p);
            int64_t w;
            if (!expect_int(p, &w, "win"))
                return false;
            if (w < 0 || w > 65535) {
                fail(p, t->line, "TCP window value out of range");
                return false;
            }
            pk->win = (int32_t)w;
        } else if (is_word(t, "urg")) {
            advance(p);
            int64_t u;
            if (!expect_int(p, &u, "urg"))
                return false;
            if (u < 0 || u > 65535) {
                fail(p, t->line, "urg_ptr value out of range");
                return false;
            }
            pk->urg = (uint16_t)u;
        } else {
            break;
        }
    }
    if (is_punct(cur(p), '<')) {
        advance(p);
        if (!parse_tcp_options(p, pk))
            return false;
    }
    if (pk->opts_any && pk->inbound) {
        fail(p, ev->line, "<...> for TCP options can only be used with outbound packets");
        return false;
    }
    return true;
}

/* ---------------- system calls ---------------- */

static bool parse_syscall(struct parser *p, struct event *ev)
{
    struct syscall *sc = &ev->sc;
    sc->end_usecs = NO_END_TIME;
    if (cur(p)->type == TK_ELLIPSIS) {
        advance(p);
        struct token *t = cur(p);
        if (t->type != TK_INT && t->type != TK_FLOAT) {
            fail(p, t->line, "expected an end time after '...'");
            return false;
        }
        sc->end_usecs = t->type == TK_INT ? t->ival * 1000000 : t->ival;
        advance(p);
    }
    struct token *t = cur(p);
    if (t->type != TK_WORD) {
        fail(p, t->line, "expected a system call name, found '%s'", t->text);
        return false;
    }
    sc->name = xstrdup(t->text);
    advance(p);
    if (!expect_punct(p, '(', "after the system call name"))
        return false;
    if (!accept_punct(p, ')')) {
        for (;;) {
            struct expr *e = parse_expr(p);
            if (!e)
                return false;
            sc->args = realloc(sc->args, sizeof(*sc->args) * (size_t)(sc->n_args + 1));
            if (!sc->args)
                abort();
            sc->args[sc->n_args++] = e;
            if (accept_punct(p, ','))
                continue;
            if (!expect_punct(p, ')', "to close the arguments"))
                return false;
            break;
        }
    }
    if (!expect_punct(p, '=', "before the expected result"))
        return false;
    sc->result = parse_expr(p);
    if (!sc->result)
        return false;
    /* An errno name, then an optional (note). */
    if (cur(p)->type == TK_WORD) {
        sc->errno_name = xstrdup(cur(p)->text);
        advance(p);
    }
    if (is_punct(cur(p), '(')) {
        /* The note is free text: keep the words for messages. */
        int depth = 0;
        char note[256] = "";
        size_t n = 0;
        do {
            struct token *nt = cur(p);
            if (nt->type == TK_EOF) {
                fail(p, ev->line, "unterminated (note)");
                return false;
            }
            if (is_punct(nt, '('))
                depth++;
            else if (is_punct(nt, ')'))
                depth--;
            if (!(depth == 1 && is_punct(nt, '(')) && depth > 0 && n < sizeof note - 2)
                n += (size_t)snprintf(note + n, sizeof note - n, "%s%s", n ? " " : "", nt->text);
            advance(p);
        } while (depth > 0);
        sc->note = xstrdup(note);
    }
    return true;
}

/* ---------------- events ---------------- */

static bool parse_secs(struct parser *p, int64_t *usecs)
{
    struct token *t = cur(p);
    if (t->type == TK_INT) {
        *usecs = t->ival * 1000000;
    } else if (t->type == TK_FLOAT) {
        *usecs = t->ival;
    } else {
        fail(p, t->line, "expected a time, found '%s'", t->text);
        return false;
    }
    if (*usecs < 0) {
        fail(p, t->line, "negative time");
        return false;
    }
    advance(p);
    return true;
}

static bool parse_time(struct parser *p, struct event *ev)
{
    ev->t_end = NO_END_TIME;
    if (accept_punct(p, '*')) {
        ev->time_type = TIME_ANY;
        return true;
    }
    bool rel = accept_punct(p, '+');
    if (!parse_secs(p, &ev->t))
        return false;
    ev->time_type = rel ? TIME_REL : TIME_ABS;
    if (accept_punct(p, '~')) {
        bool rel2 = accept_punct(p, '+');
        if (rel2 != rel) {
            fail(p, ev->line, "a time range must be both relative or both absolute");
            return false;
        }
        if (!parse_secs(p, &ev->t_end))
            return false;
        if (ev->t_end < ev->t) {
            fail(p, ev->line, "time range is backwards");
            return false;
        }
        ev->time_type = rel ? TIME_REL_RANGE : TIME_ABS_RANGE;
    }
    return true;
}

static void event_free(struct event *ev)
{
    free(ev->sc.name);
    for (int i = 0; i < ev->sc.n_args; i++)
        expr_free(ev->sc.args[i]);
    free(ev->sc.args);
    expr_free(ev->sc.result);
    free(ev->sc.errno_name);
    free(ev->sc.note);
    free(ev->text);
    free(ev);
}

void script_free(struct script *s)
{
    struct script_option *o = s->options;
    while (o) {
        struct script_option *n = o->next;
        free(o->name);
        free(o->value);
        free(o);
        o = n;
    }
    struct event *e = s->events;
    while (e) {
        struct event *n = e->next;
        event_free(e);
        e = n;
    }
    free(s->init_command);
    free(s->cleanup_command);
    memset(s, 0, sizeof *s);
}

static bool parse_event(struct parser *p, struct event *ev)
{
    ev->line = cur(p)->line;
    if (!parse_time(p, ev))
        return false;
    struct token *t = cur(p);
    if (is_punct(t, '<') || is_punct(t, '>')) {
        ev->type = EV_PACKET;
        if (!parse_packet(p, ev))
            return false;
    } else if (t->type == TK_CODE) {
        ev->type = EV_CODE;
        ev->text = xstrdup(t->text);
        advance(p);
    } else if (t->type == TK_BACKQ) {
        ev->type = EV_COMMAND;
        ev->text = xstrdup(t->text);
        advance(p);
    } else if (t->type == TK_WORD || t->type == TK_ELLIPSIS) {
        ev->type = EV_SYSCALL;
        if (!parse_syscall(p, ev))
            return false;
    } else {
        fail(p, t->line, "expected a packet, a system call, %%{code}%% or `command`, found '%s'", t->text);
        return false;
    }
    bool outbound = ev->type == EV_PACKET && !ev->pkt.inbound;
    if (ev->time_type == TIME_ANY && !outbound) {
        fail(p, ev->line, "event time <star> can only be used with outbound packets");
        return false;
    }
    if ((ev->time_type == TIME_ABS_RANGE || ev->time_type == TIME_REL_RANGE) && !outbound) {
        fail(p, ev->line, "event time range can only be used with outbound packets");
        return false;
    }
    if (ev->type == EV_SYSCALL && ev->sc.end_usecs != NO_END_TIME && ev->time_type == TIME_ABS &&
        ev->sc.end_usecs < ev->t) {
        fail(p, ev->line, "time range is backwards");
        return false;
    }
    return true;
}

int parse_script(const char *path, const char *src, size_t len, struct script *out, char *err, size_t errlen)
{
    struct parser p;
    memset(&p, 0, sizeof p);
    memset(out, 0, sizeof *out);
    out->path = path;
    lex_init(&p.lx, src, len);
    p.path = path;
    p.err = err;
    p.errlen = errlen;
    err[0] = '\0';

    struct script_option **otail = &out->options;
    while (!p.failed && cur(&p)->type == TK_OPTION) {
        struct script_option *o = calloc(1, sizeof *o);
        if (!o)
            abort();
        o->name = xstrdup(cur(&p)->text);
        advance(&p);
        if (accept_punct(&p, '=')) {
            struct token *v = cur(&p);
            if (v->type == TK_INT || v->type == TK_WORD || v->type == TK_STRING || v->type == TK_IPV4 ||
                v->type == TK_FLOAT) {
                o->value = xstrdup(v->text);
                advance(&p);
            } else {
                fail(&p, v->line, "bad value for option --%s", o->name);
            }
        }
        *otail = o;
        otail = &o->next;
    }
    if (!p.failed && cur(&p)->type == TK_BACKQ) {
        out->init_command = xstrdup(cur(&p)->text);
        advance(&p);
    }
    struct event **etail = &out->events;
    while (!p.failed && cur(&p)->type != TK_EOF) {
        if (cur(&p)->type == TK_BACKQ) {
            /* An untimed command after the events: the cleanup command, last. */
            int line = cur(&p)->line;
            out->cleanup_command = xstrdup(cur(&p)->text);
            advance(&p);
            if (cur(&p)->type != TK_EOF)
                fail(&p, line, "a command without a time must be the first or the last line");
            break;
        }
        struct event *ev = calloc(1, sizeof *ev);
        if (!ev)
            abort();
        if (!parse_event(&p, ev)) {
            event_free(ev);
            break;
        }
        *etail = ev;
        etail = &ev->next;
    }
    if (!p.failed && out->events && out->events->time_type != TIME_ABS && out->events->time_type != TIME_REL) {
        fail(&p, out->events->line, "first event should be at time 0");
    } else if (!p.failed && out->events && out->events->t != 0) {
        fail(&p, out->events->line, "first event should be at time 0");
    }
    for (int i = 0; i < p.n_la; i++)
        token_free(&p.la[i]);
    if (p.failed) {
        script_free(out);
        return -1;
    }
    return 0;
}

/* ---------------- printing ---------------- */

char *tcp_flags_str(uint8_t flags, char *buf)
{
    size_t n = 0;
    if (flags & TH_FIN) buf[n++] = 'F';
    if (flags & TH_SYN) buf[n++] = 'S';
    if (flags & TH_RST) buf[n++] = 'R';
    if (flags & TH_PSH) buf[n++] = 'P';
    if (flags & TH_URG) buf[n++] = 'U';
    if (flags & TH_ECE) buf[n++] = 'E';
    if (flags & TH_CWR) buf[n++] = 'W';
    if (flags & TH_ACK) buf[n++] = '.';
    if (n == 0)
        buf[n++] = '-';
    buf[n] = '\0';
    return buf;
}

char *dr_packet_str(const struct dr_packet *pk, char *buf, size_t len)
{
    char fl[12];
    size_t n = 0;
#define OUT(...) do { if (n < len) n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__); } while (0)
    if (pk->ecn >= 0) {
        static const char *names[] = {"noecn", "ect1", "ect0", "ce"};
        OUT("[%s] ", names[pk->ecn & 3]);
    }
    if (pk->has_ports)
        OUT("%u>%u ", pk->sport, pk->dport);
    OUT("%s %u:%u(%u)", tcp_flags_str(pk->flags, fl), pk->seq, pk->end, pk->len);
    if (pk->flags & TH_ACK)
        OUT(" ack %u", pk->ack);
    if (pk->win >= 0)
        OUT(" win %d", pk->win);
    if (pk->urg)
        OUT(" urg %u", pk->urg);
    if (pk->opts_any) {
        OUT(" <...>");
    } else if (pk->n_opts) {
        OUT(" <");
        for (int i = 0; i < pk->n_opts; i++) {
            const struct tcp_opt *o = &pk->opts[i];
            if (i)
                OUT(",");
            switch (o->kind) {
            case OPT_NOP: OUT("nop"); break;
            case OPT_EOL: OUT("eol"); break;
            case OPT_MSS: OUT("mss %u", o->mss); break;
            case OPT_WSCALE: OUT("wscale %u", o->wscale); break;
            case OPT_SACKOK: OUT("sackOK"); break;
            case OPT_SACK:
                OUT("sack");
                for (int j = 0; j < o->n_sack; j++)
                    OUT(" %u:%u", o->sack[j][0], o->sack[j][1]);
                break;
            case OPT_TS: OUT("TS val %u ecr %u", o->ts_val, o->ts_ecr); break;
            case OPT_FASTOPEN:
                OUT("FO");
                if (o->cookie_len)
                    OUT(" ");
                for (int j = 0; j < o->cookie_len; j++)
                    OUT("%02x", o->cookie[j]);
                break;
            default: OUT("opt%u", o->kind); break;
            }
        }
        OUT(">");
    }
#undef OUT
    return buf;
}
