/* tapir-drill: a runner for packetdrill's script language against one tapir
 * stack in-process, on a virtual clock.
 *
 * The pieces, one file each:
 *   lex.c    the tokenizer of the script language
 *   parse.c  scripts -> a list of events (packets, system calls, code, commands)
 *   code.c   the small Python-like evaluator for %{ assert tcpi_... }% blocks
 *   wire.c   building inbound IPv4+TCP packets, parsing outbound ones, printing
 *            both in packetdrill's syntax
 *   sysctl.c `defaults.sh` / set_sysctls.py / sysctl lines -> tapir settings
 *   run.c    the executor: virtual clock, fd table, system calls, matching
 *   main.c   the command line
 *
 * lex.c, parse.c and code.c depend on libc only, so the unit tests include
 * them directly (tests/unit/drill_*_test.c).
 */
#ifndef TAPIR_DRILL_H
#define TAPIR_DRILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Tokens ---- */
enum tok_type {
    TK_EOF,
    TK_INT,      /* 123, -1, 0x2a */
    TK_FLOAT,    /* .1, 0.200 (times); ival holds the value in µs */
    TK_WORD,     /* identifiers, flags, constants */
    TK_STRING,   /* "..." (text without quotes) */
    TK_BACKQ,    /* `...` shell command (text without quotes) */
    TK_CODE,     /* %{ ... }% (text inside, trimmed) */
    TK_OPTION,   /* --name (text without dashes) */
    TK_ELLIPSIS, /* ... */
    TK_IPV4,     /* 192.0.2.1 */
    TK_PUNCT,    /* any other single character: text[0] */
};

struct token {
    enum tok_type type;
    int line;
    int64_t ival;    /* TK_INT value; TK_FLOAT value in µs */
    bool hex;        /* TK_INT written as 0x... */
    char *text;      /* owned; the token's text (for TK_PUNCT one character) */
};

struct lexer {
    const char *src;
    size_t pos, len;
    int line;
    char err[256];   /* set on a lexical error */
};

void lex_init(struct lexer *lx, const char *src, size_t len);
/* Next token; false on a lexical error (lx->err says why). */
bool lex_next(struct lexer *lx, struct token *t);
void token_free(struct token *t);

/* ---- Expressions in system call arguments ---- */
enum ex_type {
    EX_ELLIPSIS, /* ... : "whatever the runner supplies" */
    EX_INT,
    EX_WORD,     /* a symbolic constant: SOCK_STREAM, EPOLLIN, NULL */
    EX_STRING,   /* "text" */
    EX_LIST,     /* [a, b] */
    EX_STRUCT,   /* {a, b} or {name=value, ...} */
    EX_OR,       /* a | b */
    EX_FIELD,    /* name=value or name(arg)=value inside a struct */
    EX_CALL,     /* name(args): inet_addr("..."), htons(8080) */
};

struct expr {
    enum ex_type type;
    int64_t num;            /* EX_INT */
    bool hex;
    char *str;              /* EX_WORD, EX_STRING, EX_FIELD/EX_CALL name */
    struct expr *lhs, *rhs; /* EX_OR; EX_FIELD: lhs = arg (may be NULL), rhs = value */
    struct expr **items;    /* EX_LIST, EX_STRUCT, EX_CALL arguments */
    int n_items;
};

/* ---- TCP options as a script writes them ---- */
#define DR_MAX_OPTS 16
enum { OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WSCALE = 3, OPT_SACKOK = 4, OPT_SACK = 5,
       OPT_TS = 8, OPT_FASTOPEN = 34 };

struct tcp_opt {
    uint8_t kind;
    uint16_t mss;
    uint8_t wscale;
    uint32_t ts_val, ts_ecr;
    int n_sack;
    uint32_t sack[4][2];
    int cookie_len;        /* FO: TCP Fast Open cookie (bytes) */
    uint8_t cookie[16];
};

/* TCP flag bits as on the wire. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

struct dr_packet {
    bool inbound;          /* '<' (to tapir) or '>' (from tapir) */
    bool has_ports;        /* src>dst given explicitly */
    uint16_t sport, dport;
    uint8_t flags;
    uint32_t seq, end;     /* seq:end(len) */
    uint16_t len;
    uint32_t ack;          /* meaningful with TH_ACK */
    int32_t win;           /* -1: not checked (outbound) / default (inbound) */
    uint16_t urg;
    bool opts_any;         /* <...>: options not checked */
    int n_opts;
    struct tcp_opt opts[DR_MAX_OPTS];
    int ecn;               /* -1 not given; else the IP ECN bits to send/expect */
    int tos;               /* -1 not given */
    int ttl;               /* 0 not given */
};

/* ---- Events ---- */
enum ev_type { EV_PACKET, EV_SYSCALL, EV_CODE, EV_COMMAND };
enum time_type { TIME_ABS, TIME_REL, TIME_ANY, TIME_ABS_RANGE, TIME_REL_RANGE };

#define NO_END_TIME INT64_MIN

struct syscall {
    char *name;
    struct expr **args;
    int n_args;
    struct expr *result;
    char *errno_name;      /* NULL: no errno expected */
    char *note;            /* the (Operation now in progress) text, for messages */
    int64_t end_usecs;     /* blocking call's end time (`...0.200`), NO_END_TIME none */
};

struct event {
    enum ev_type type;
    int line;
    enum time_type time_type;
    int64_t t, t_end;      /* µs as written (relative or absolute) */
    struct dr_packet pkt;  /* EV_PACKET */
    struct syscall sc;     /* EV_SYSCALL */
    char *text;            /* EV_CODE, EV_COMMAND */
    struct event *next;
};

struct script_option {
    char *name;            /* without the dashes */
    char *value;           /* NULL when none */
    struct script_option *next;
};

struct script {
    const char *path;
    struct script_option *options;
    char *init_command;    /* the first `...` line before any event */
    char *cleanup_command; /* a `...` line after the last event */
    struct event *events;
};

/* Parses a whole script.  Returns 0, or -1 with "path:line: message" in err. */
int parse_script(const char *path, const char *src, size_t len, struct script *out, char *err,
                 size_t errlen);
void script_free(struct script *s);
void expr_free(struct expr *e);
/* An expression back in script syntax (for messages).  Returns buf. */
char *expr_str(const struct expr *e, char *buf, size_t len);
/* A packet in packetdrill's syntax, without direction or time. Returns buf. */
char *dr_packet_str(const struct dr_packet *p, char *buf, size_t len);
char *tcp_flags_str(uint8_t flags, char *buf);

/* ---- The Python-like evaluator for %{ }% blocks ---- */
enum val_type { VAL_NONE, VAL_INT, VAL_FLOAT, VAL_STR, VAL_TUPLE };

struct val {
    enum val_type type;
    int64_t i;
    double f;
    char *s;               /* VAL_STR (owned) */
    struct val *items;     /* VAL_TUPLE (owned) */
    int n;
};

/* Variables persist across blocks of one script, as in packetdrill where all
 * snippets run in one Python namespace.  The runner loads tcpi_* fields
 * before each block. */
struct code_env {
    struct code_var {
        char *name;
        struct val v;
    } *vars;
    int n, cap;
    /* print() output goes here (NULL: stdout) */
    void (*print)(void *ctx, const char *line);
    void *print_ctx;
};

void code_env_init(struct code_env *env);
void code_env_free(struct code_env *env);
void code_set_int(struct code_env *env, const char *name, int64_t v);
/* Runs a block.  Returns 0, or -1 with a message in err (an assertion that
 * failed, or a syntax error). */
int code_run(struct code_env *env, const char *text, char *err, size_t errlen);

/* ---- Symbolic constants (SOCK_STREAM, EPOLLIN, EINPROGRESS...) ---- */
bool symbol_value(const char *name, int64_t *out);
const char *errno_name(int err);

#endif
