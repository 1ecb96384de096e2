/* The %{ }% blocks: packetdrill hands them to Python with a snapshot of
 * TCP_INFO; here a small evaluator of the Python subset such scripts use.
 *
 *   statements  assert T[, T]    print(T, ...)    NAME = T   NAME += T (-= *= //= %=)
 *               pass   and bare expressions; separated by newlines or ';',
 *               '\' continues a line, '#' starts a comment
 *   expressions or and not, chained comparisons (990 <= x <= 1010), | ^ & << >>,
 *               + - * / // % **, unary - + ~, (tuples), 'fmt %d' % x,
 *               int() float() str() abs() min() max() len() round()
 *   values      int (64-bit), float, str, tuple, None; True/False are 1/0
 *
 * It parses and evaluates in one pass; the right side of a short-circuited
 * and/or is parsed with evaluation off, so it has no effects and no errors.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/drill/drill.h"

enum ctok { C_END, C_NEWLINE, C_INT, C_FLOAT, C_STR, C_NAME, C_OP };

struct cstate {
    struct code_env *env;
    const char *src;
    size_t pos, len;
    int line;            /* line within the block, from 1 */
    int paren;           /* inside (), newlines do not end statements */
    /* current token */
    enum ctok t;
    char op[4];
    char *text;          /* C_NAME, C_STR */
    int64_t ival;
    double fval;
    jmp_buf fail;
    char *err;
    size_t errlen;
};

static void val_free(struct val *v)
{
    if (v->type == VAL_STR)
        free(v->s);
    if (v->type == VAL_TUPLE) {
        for (int i = 0; i < v->n; i++)
            val_free(&v->items[i]);
        free(v->items);
    }
    memset(v, 0, sizeof *v);
}

static struct val val_copy(const struct val *v)
{
    struct val r = *v;
    if (v->type == VAL_STR) {
        r.s = strdup(v->s);
        if (!r.s)
            abort();
    } else if (v->type == VAL_TUPLE) {
        r.items = calloc((size_t)(v->n ? v->n : 1), sizeof *r.items);
        if (!r.items)
            abort();
        for (int i = 0; i < v->n; i++)
            r.items[i] = val_copy(&v->items[i]);
    }
    return r;
}

static struct val mk_int(int64_t i) { struct val v = {.type = VAL_INT, .i = i}; return v; }
static struct val mk_float(double f) { struct val v = {.type = VAL_FLOAT, .f = f}; return v; }
static struct val mk_str(const char *s)
{
    struct val v = {.type = VAL_STR};
    v.s = strdup(s);
    if (!v.s)
        abort();
    return v;
}

static void cfail(struct cstate *c, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void cfail(struct cstate *c, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "code line %d: %s", c->line, msg);
    longjmp(c->fail, 1);
}

/* ---- environment ---- */

void code_env_init(struct code_env *env)
{
    memset(env, 0, sizeof *env);
}

void code_env_free(struct code_env *env)
{
    for (int i = 0; i < env->n; i++) {
        free(env->vars[i].name);
        val_free(&env->vars[i].v);
    }
    free(env->vars);
    memset(env, 0, sizeof *env);
}

static struct val *env_find(struct code_env *env, const char *name)
{
    for (int i = 0; i < env->n; i++)
        if (strcmp(env->vars[i].name, name) == 0)
            return &env->vars[i].v;
    return NULL;
}

static void env_set(struct code_env *env, const char *name, struct val v)
{
    struct val *old = env_find(env, name);
    if (old) {
        val_free(old);
        *old = v;
        return;
    }
    if (env->n == env->cap) {
        env->cap = env->cap ? env->cap * 2 : 32;
        env->vars = realloc(env->vars, sizeof(*env->vars) * (size_t)env->cap);
        if (!env->vars)
            abort();
    }
    env->vars[env->n].name = strdup(name);
    if (!env->vars[env->n].name)
        abort();
    env->vars[env->n].v = v;
    env->n++;
}

void code_set_int(struct code_env *env, const char *name, int64_t v)
{
    env_set(env, name, mk_int(v));
}

/* ---- tokens ---- */

static void next(struct cstate *c)
{
    free(c->text);
    c->text = NULL;
    for (;;) {
        while (c->pos < c->len && (c->src[c->pos] == ' ' || c->src[c->pos] == '\t' || c->src[c->pos] == '\r'))
            c->pos++;
        if (c->pos < c->len && c->src[c->pos] == '#') {
            while (c->pos < c->len && c->src[c->pos] != '\n')
                c->pos++;
        }
        if (c->pos + 1 < c->len && c->src[c->pos] == '\\' && c->src[c->pos + 1] == '\n') {
            c->pos += 2;
            c->line++;
            continue;
        }
        if (c->pos < c->len && c->src[c->pos] == '\n' && c->paren > 0) {
            c->pos++;
            c->line++;
            continue;
        }
        break;
    }
    if (c->pos >= c->len) {
        c->t = C_END;
        return;
    }
    const char *s = c->src + c->pos;
    if (*s == '\n' || *s == ';') {
        if (*s == '\n')
            c->line++;
        c->pos++;
        c->t = C_NEWLINE;
        return;
    }
    if (isdigit((unsigned char)*s) || (*s == '.' && isdigit((unsigned char)s[1]))) {
        char *end;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            c->ival = (int64_t)strtoull(s, &end, 16);
            c->t = C_INT;
        } else {
            size_t n = 0;
            bool is_float = false;
            while (isdigit((unsigned char)s[n]) || s[n] == '.' || s[n] == 'e' || s[n] == 'E' ||
                   ((s[n] == '-' || s[n] == '+') && n > 0 && (s[n - 1] == 'e' || s[n - 1] == 'E'))) {
                if (!isdigit((unsigned char)s[n]))
                    is_float = true;
                n++;
            }
            if (is_float) {
                c->fval = strtod(s, &end);
                c->t = C_FLOAT;
            } else {
                c->ival = strtoll(s, &end, 10);
                c->t = C_INT;
            }
        }
        c->pos += (size_t)(end - s);
        return;
    }
    if (isalpha((unsigned char)*s) || *s == '_') {
        size_t n = 0;
        while (isalnum((unsigned char)s[n]) || s[n] == '_')
            n++;
        c->text = strndup(s, n);
        if (!c->text)
            abort();
        c->pos += n;
        c->t = C_NAME;
        return;
    }
    if (*s == '\'' || *s == '"') {
        char q = *s;
        size_t n = 1;
        char *buf = malloc(c->len - c->pos + 1);
        if (!buf)
            abort();
        size_t o = 0;
        while (c->pos + n < c->len && s[n] != q && s[n] != '\n') {
            if (s[n] == '\\' && c->pos + n + 1 < c->len) {
                n++;
                buf[o++] = s[n] == 'n' ? '\n' : s[n] == 't' ? '\t' : s[n];
            } else {
                buf[o++] = s[n];
            }
            n++;
        }
        if (c->pos + n >= c->len || s[n] != q) {
            free(buf);
            cfail(c, "unterminated string");
        }
        buf[o] = '\0';
        c->text = buf;
        c->pos += n + 1;
        c->t = C_STR;
        return;
    }
    static const char *ops[] = {"**", "//=", "//", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "%=",
                                "|=", "&=", NULL};
    for (int i = 0; ops[i]; i++) {
        size_t n = strlen(ops[i]);
        if (c->pos + n <= c->len && strncmp(s, ops[i], n) == 0) {
            memcpy(c->op, ops[i], n + 1);
            c->pos += n;
            c->t = C_OP;
            return;
        }
    }
    if (strchr("+-*/%()<>=,&|^~[]:", *s)) {
        c->op[0] = *s;
        c->op[1] = '\0';
        c->pos++;
        c->t = C_OP;
        if (*s == '(' || *s == '[')
            c->paren++;
        if ((*s == ')' || *s == ']') && c->paren > 0)
            c->paren--;
        return;
    }
    cfail(c, "unexpected character '%c'", *s);
}

static bool is_op(struct cstate *c, const char *op) { return c->t == C_OP && strcmp(c->op, op) == 0; }
static bool is_name(struct cstate *c, const char *n) { return c->t == C_NAME && strcmp(c->text, n) == 0; }

static void expect_op(struct cstate *c, const char *op)
{
    if (!is_op(c, op))
        cfail(c, "expected '%s'", op);
    next(c);
}

/* ---- values ---- */

static bool truthy(const struct val *v)
{
    switch (v->type) {
    case VAL_INT: return v->i != 0;
    case VAL_FLOAT: return v->f != 0;
    case VAL_STR: return v->s[0] != '\0';
    case VAL_TUPLE: return v->n > 0;
    default: return false;
    }
}

static double as_float(struct cstate *c, const struct val *v)
{
    if (v->type == VAL_INT)
        return (double)v->i;
    if (v->type == VAL_FLOAT)
        return v->f;
    cfail(c, "a number was expected");
}

static void val_fmt(const struct val *v, char *buf, size_t len)
{
    switch (v->type) {
    case VAL_INT: snprintf(buf, len, "%lld", (long long)v->i); break;
    case VAL_FLOAT: snprintf(buf, len, "%g", v->f); break;
    case VAL_STR: snprintf(buf, len, "%s", v->s); break;
    case VAL_NONE: snprintf(buf, len, "None"); break;
    case VAL_TUPLE: {
        size_t n = (size_t)snprintf(buf, len, "(");
        for (int i = 0; i < v->n && n < len; i++) {
            char item[128];
            val_fmt(&v->items[i], item, sizeof item);
            n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", item);
        }
        if (n < len)
            snprintf(buf + n, len - n, ")");
        break;
    }
    }
}

/* 'fmt' % args: %d %i %u %x %s %f %g %% with flags/width/precision. */
static struct val str_format(struct cstate *c, const char *fmt, const struct val *args)
{
    const struct val *list = args->type == VAL_TUPLE ? args->items : args;
    int n = args->type == VAL_TUPLE ? args->n : 1, used = 0;
    char out[1024];
    size_t o = 0;
    for (const char *p = fmt; *p && o < sizeof out - 1; p++) {
        if (*p != '%') {
            out[o++] = *p;
            continue;
        }
        p++;
        if (*p == '%') {
            out[o++] = '%';
            continue;
        }
        char spec[32] = "%";
        size_t k = 1;
        while (*p && strchr("-+ #0123456789.", *p) && k < sizeof spec - 4)
            spec[k++] = *p++;
        if (!*p)
            cfail(c, "incomplete format");
        if (used >= n)
            cfail(c, "not enough arguments for format string");
        const struct val *a = &list[used++];
        char piece[512];
        switch (*p) {
        case 'd': case 'i': case 'u': case 'x': case 'X': {
            spec[k++] = 'l';
            spec[k++] = 'l';
            spec[k++] = *p == 'i' || *p == 'u' ? 'd' : *p;
            spec[k] = '\0';
            long long iv = a->type == VAL_FLOAT ? (long long)a->f : (long long)as_float(c, a);
            if (a->type == VAL_INT)
                iv = (long long)a->i;
            snprintf(piece, sizeof piece, spec, iv);
            break;
        }
        case 'f': case 'g': case 'e':
            spec[k++] = *p;
            spec[k] = '\0';
            snprintf(piece, sizeof piece, spec, as_float(c, a));
            break;
        case 's': case 'r': {
            char sv[400];
            val_fmt(a, sv, sizeof sv);
            spec[k++] = 's';
            spec[k] = '\0';
            snprintf(piece, sizeof piece, spec, sv);
            break;
        }
        default:
            cfail(c, "unsupported format '%%%c'", *p);
        }
        for (const char *q = piece; *q && o < sizeof out - 1; q++)
            out[o++] = *q;
    }
    out[o] = '\0';
    if (used < n)
        cfail(c, "not all arguments converted during string formatting");
    return mk_str(out);
}

/* No libm in the link: the few float helpers needed, by hand. */
static double dfloor(double x)
{
    double t = (double)(int64_t)x;
    return t > x ? t - 1 : t;
}
static double dpow(double x, double y)
{
    double r = 1;
    int64_t n = (int64_t)y;
    bool neg = n < 0;
    for (int64_t i = 0; i < (neg ? -n : n) && i < 1024; i++)
        r *= x;
    return neg ? 1 / r : r;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static struct val arith(struct cstate *c, const char *op, struct val a, struct val b)
{
    struct val r = {0};
    if (strcmp(op, "%") == 0 && a.type == VAL_STR) {
        r = str_format(c, a.s, &b);
    } else if (strcmp(op, "+") == 0 && a.type == VAL_STR && b.type == VAL_STR) {
        size_t la = strlen(a.s), lb = strlen(b.s);
        r.type = VAL_STR;
        r.s = malloc(la + lb + 1);
        if (!r.s)
            abort();
        memcpy(r.s, a.s, la);
        memcpy(r.s + la, b.s, lb + 1);
    } else if ((a.type != VAL_INT && a.type != VAL_FLOAT) || (b.type != VAL_INT && b.type != VAL_FLOAT)) {
        val_free(&a);
        val_free(&b);
        cfail(c, "unsupported operand types for %s", op);
    } else if (a.type == VAL_INT && b.type == VAL_INT && strcmp(op, "/") != 0 && strcmp(op, "**") != 0) {
        int64_t x = a.i, y = b.i;
        if ((strcmp(op, "//") == 0 || strcmp(op, "%") == 0) && y == 0)
            cfail(c, "integer division or modulo by zero");
        if (strcmp(op, "+") == 0) r = mk_int(x + y);
        else if (strcmp(op, "-") == 0) r = mk_int(x - y);
        else if (strcmp(op, "*") == 0) r = mk_int(x * y);
        else if (strcmp(op, "//") == 0) r = mk_int(floordiv(x, y));
        else if (strcmp(op, "%") == 0) r = mk_int(x - floordiv(x, y) * y);
        else if (strcmp(op, "&") == 0) r = mk_int(x & y);
        else if (strcmp(op, "|") == 0) r = mk_int(x | y);
        else if (strcmp(op, "^") == 0) r = mk_int(x ^ y);
        else if (strcmp(op, "<<") == 0) r = mk_int((int64_t)((uint64_t)x << (y & 63)));
        else if (strcmp(op, ">>") == 0) r = mk_int(x >> (y & 63));
        else cfail(c, "bad operator %s", op);
    } else {
        double x = as_float(c, &a), y = as_float(c, &b);
        if (strcmp(op, "**") == 0 && a.type == VAL_INT && b.type == VAL_INT && b.i >= 0) {
            int64_t p = 1;
            for (int64_t i = 0; i < b.i && i < 64; i++)
                p *= a.i;
            r = mk_int(p);
        } else if (strcmp(op, "+") == 0) r = mk_float(x + y);
        else if (strcmp(op, "-") == 0) r = mk_float(x - y);
        else if (strcmp(op, "*") == 0) r = mk_float(x * y);
        else if (strcmp(op, "**") == 0) r = mk_float(dpow(x, y));
        else if (strcmp(op, "/") == 0 || strcmp(op, "//") == 0 || strcmp(op, "%") == 0) {
            if (y == 0)
                cfail(c, "division by zero");
            if (strcmp(op, "/") == 0) r = mk_float(x / y);
            else if (strcmp(op, "//") == 0) r = mk_float(dfloor(x / y));
            else r = mk_float(x - dfloor(x / y) * y);
        } else {
            cfail(c, "unsupported operand type float for %s", op);
        }
    }
    val_free(&a);
    val_free(&b);
    return r;
}

static bool compare(struct cstate *c, const char *op, const struct val *a, const struct val *b)
{
    int cmp;
    if (a->type == VAL_STR && b->type == VAL_STR) {
        cmp = strcmp(a->s, b->s);
    } else if ((a->type == VAL_INT || a->type == VAL_FLOAT) && (b->type == VAL_INT || b->type == VAL_FLOAT)) {
        if (a->type == VAL_INT && b->type == VAL_INT)
            cmp = a->i < b->i ? -1 : a->i > b->i;
        else {
            double x = as_float(c, a), y = as_float(c, b);
            cmp = x < y ? -1 : x > y;
        }
    } else if (strcmp(op, "==") == 0 || strcmp(op, "!=") == 0) {
        cmp = a->type == b->type && a->type == VAL_NONE ? 0 : 1;
    } else {
        cfail(c, "cannot order these values with %s", op);
    }
    if (strcmp(op, "==") == 0) return cmp == 0;
    if (strcmp(op, "!=") == 0) return cmp != 0;
    if (strcmp(op, "<") == 0) return cmp < 0;
    if (strcmp(op, "<=") == 0) return cmp <= 0;
    if (strcmp(op, ">") == 0) return cmp > 0;
    return cmp >= 0;
}

/* ---- expressions ---- */

static struct val test(struct cstate *c, bool live);

static struct val call(struct cstate *c, const char *fn, bool live)
{
    /* after '(' */
    struct val args[8];
    int n = 0;
    while (!is_op(c, ")")) {
        if (n == 8)
            cfail(c, "too many arguments");
        args[n++] = test(c, live);
        if (!is_op(c, ","))
            break;
        next(c);
    }
    expect_op(c, ")");
    struct val r = {0};
    if (!live)
        goto out;
    if (strcmp(fn, "int") == 0 && n == 1) {
        r = args[0].type == VAL_STR ? mk_int(strtoll(args[0].s, NULL, 0)) : mk_int((int64_t)as_float(c, &args[0]));
    } else if (strcmp(fn, "float") == 0 && n == 1) {
        r = args[0].type == VAL_STR ? mk_float(strtod(args[0].s, NULL)) : mk_float(as_float(c, &args[0]));
    } else if (strcmp(fn, "str") == 0 && n == 1) {
        char buf[400];
        val_fmt(&args[0], buf, sizeof buf);
        r = mk_str(buf);
    } else if (strcmp(fn, "abs") == 0 && n == 1) {
        r = args[0].type == VAL_INT ? mk_int(args[0].i < 0 ? -args[0].i : args[0].i) : mk_float(as_float(c, &args[0]) < 0 ? -as_float(c, &args[0]) : as_float(c, &args[0]));
    } else if ((strcmp(fn, "min") == 0 || strcmp(fn, "max") == 0) && n >= 1) {
        bool mn = fn[1] == 'i';
        int best = 0;
        for (int i = 1; i < n; i++)
            if (compare(c, mn ? "<" : ">", &args[i], &args[best]))
                best = i;
        r = val_copy(&args[best]);
    } else if (strcmp(fn, "len") == 0 && n == 1) {
        r = mk_int(args[0].type == VAL_STR ? (int64_t)strlen(args[0].s) : args[0].type == VAL_TUPLE ? args[0].n : 0);
        if (args[0].type != VAL_STR && args[0].type != VAL_TUPLE)
            cfail(c, "len() of a number");
    } else if (strcmp(fn, "round") == 0 && n == 1) {
        r = mk_int((int64_t)dfloor(as_float(c, &args[0]) + 0.5));
    } else if (strcmp(fn, "print") == 0) {
        char line[1024] = "";
        size_t o = 0;
        for (int i = 0; i < n && o < sizeof line; i++) {
            char buf[400];
            val_fmt(&args[i], buf, sizeof buf);
            o += (size_t)snprintf(line + o, sizeof line - o, "%s%s", i ? " " : "", buf);
        }
        if (c->env->print)
            c->env->print(c->env->print_ctx, line);
        else
            printf("%s\n", line);
    } else {
        cfail(c, "unknown function %s()", fn);
    }
out:
    for (int i = 0; i < n; i++)
        val_free(&args[i]);
    return r;
}

static struct val atom(struct cstate *c, bool live)
{
    struct val r = {0};
    if (c->t == C_INT) {
        r = mk_int(c->ival);
        next(c);
    } else if (c->t == C_FLOAT) {
        r = mk_float(c->fval);
        next(c);
    } else if (c->t == C_STR) {
        r = mk_str(c->text);
        next(c);
        while (c->t == C_STR) { /* adjacent literals concatenate */
            struct val more = mk_str(c->text);
            r = arith(c, "+", r, more);
            next(c);
        }
    } else if (c->t == C_NAME) {
        char name[128];
        snprintf(name, sizeof name, "%s", c->text);
        next(c);
        if (is_op(c, "(")) {
            next(c);
            return call(c, name, live);
        }
        if (strcmp(name, "True") == 0)
            return mk_int(1);
        if (strcmp(name, "False") == 0)
            return mk_int(0);
        if (strcmp(name, "None") == 0)
            return r;
        if (!live)
            return r;
        struct val *v = env_find(c->env, name);
        if (!v)
            cfail(c, "name '%s' is not defined", name);
        r = val_copy(v);
    } else if (is_op(c, "(")) {
        next(c);
        if (is_op(c, ")")) {
            next(c);
            r.type = VAL_TUPLE;
            return r;
        }
        r = test(c, live);
        if (is_op(c, ",")) {
            struct val t = {.type = VAL_TUPLE};
            t.items = calloc(16, sizeof *t.items);
            if (!t.items)
                abort();
            t.items[t.n++] = r;
            while (is_op(c, ",")) {
                next(c);
                if (is_op(c, ")"))
                    break;
                if (t.n == 16)
                    cfail(c, "tuple too long");
                t.items[t.n++] = test(c, live);
            }
            r = t;
        }
        expect_op(c, ")");
    } else {
        cfail(c, "unexpected %s", c->t == C_END || c->t == C_NEWLINE ? "end of statement" : c->op);
    }
    return r;
}

static struct val factor(struct cstate *c, bool live);

static struct val power(struct cstate *c, bool live)
{
    struct val a = atom(c, live);
    if (is_op(c, "**")) {
        next(c);
        struct val b = factor(c, live);
        return live ? arith(c, "**", a, b) : a;
    }
    return a;
}

static struct val factor(struct cstate *c, bool live)
{
    if (is_op(c, "-") || is_op(c, "+") || is_op(c, "~")) {
        char op = c->op[0];
        next(c);
        struct val v = factor(c, live);
        if (!live)
            return v;
        if (v.type == VAL_INT)
            v.i = op == '-' ? -v.i : op == '~' ? ~v.i : v.i;
        else if (v.type == VAL_FLOAT && op != '~')
            v.f = op == '-' ? -v.f : v.f;
        else
            cfail(c, "bad operand for unary %c", op);
        return v;
    }
    return power(c, live);
}

typedef struct val (*level_fn)(struct cstate *, bool);

static struct val binary_level(struct cstate *c, bool live, level_fn sub, const char *const *ops)
{
    struct val a = sub(c, live);
    for (;;) {
        const char *op = NULL;
        for (int i = 0; ops[i]; i++)
            if (is_op(c, ops[i]))
                op = ops[i];
        if (!op)
            return a;
        char opbuf[4];
        snprintf(opbuf, sizeof opbuf, "%s", op);
        next(c);
        struct val b = sub(c, live);
        if (live)
            a = arith(c, opbuf, a, b);
        else
            val_free(&b);
    }
}

static struct val term(struct cstate *c, bool live)
{
    static const char *const ops[] = {"*", "/", "//", "%", NULL};
    return binary_level(c, live, factor, ops);
}
static struct val sum(struct cstate *c, bool live)
{
    static const char *const ops[] = {"+", "-", NULL};
    return binary_level(c, live, term, ops);
}
static struct val shift(struct cstate *c, bool live)
{
    static const char *const ops[] = {"<<", ">>", NULL};
    return binary_level(c, live, sum, ops);
}
static struct val band(struct cstate *c, bool live)
{
    static const char *const ops[] = {"&", NULL};
    return binary_level(c, live, shift, ops);
}
static struct val bxor(struct cstate *c, bool live)
{
    static const char *const ops[] = {"^", NULL};
    return binary_level(c, live, band, ops);
}
static struct val bor(struct cstate *c, bool live)
{
    static const char *const ops[] = {"|", NULL};
    return binary_level(c, live, bxor, ops);
}

static const char *cmp_op(struct cstate *c)
{
    static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">", NULL};
    for (int i = 0; ops[i]; i++)
        if (is_op(c, ops[i]))
            return ops[i];
    return NULL;
}

static struct val comparison(struct cstate *c, bool live)
{
    struct val a = bor(c, live);
    const char *op = cmp_op(c);
    if (!op)
        return a;
    bool result = true;
    while (op) {
        next(c);
        struct val b = bor(c, live);
        if (live && result)
            result = compare(c, op, &a, &b);
        val_free(&a);
        a = b;
        op = cmp_op(c);
    }
    val_free(&a);
    return mk_int(result);
}

static struct val not_test(struct cstate *c, bool live)
{
    if (is_name(c, "not")) {
        next(c);
        struct val v = not_test(c, live);
        bool t = truthy(&v);
        val_free(&v);
        return mk_int(!t);
    }
    return comparison(c, live);
}

static struct val and_test(struct cstate *c, bool live)
{
    struct val a = not_test(c, live);
    while (is_name(c, "and")) {
        next(c);
        bool go = live && truthy(&a);
        struct val b = not_test(c, go);
        if (go) {
            val_free(&a);
            a = b;
        } else {
            val_free(&b);
        }
    }
    return a;
}

static struct val test(struct cstate *c, bool live)
{
    struct val a = and_test(c, live);
    while (is_name(c, "or")) {
        next(c);
        bool go = live && !truthy(&a);
        struct val b = and_test(c, go);
        if (go) {
            val_free(&a);
            a = b;
        } else {
            val_free(&b);
        }
    }
    return a;
}

/* ---- statements ---- */

static void end_of_statement(struct cstate *c)
{
    if (c->t != C_NEWLINE && c->t != C_END)
        cfail(c, "unexpected text after the statement");
}

static void statement(struct cstate *c)
{
    if (c->t == C_NEWLINE)
        return;
    if (is_name(c, "pass")) {
        next(c);
    } else if (is_name(c, "assert")) {
        const char *start = c->src + c->pos;
        int line = c->line;
        next(c);
        struct val v = test(c, true);
        bool ok = truthy(&v);
        val_free(&v);
        struct val msg = {0};
        bool has_msg = false;
        if (is_op(c, ",")) {
            next(c);
            msg = test(c, !ok);
            has_msg = true;
        }
        end_of_statement(c);
        if (!ok) {
            char m[400] = "";
            if (has_msg)
                val_fmt(&msg, m, sizeof m);
            const char *end = c->src + c->pos;
            while (end > start && (end[-1] == '\n' || end[-1] == ';' || end[-1] == ' '))
                end--;
            c->line = line;
            val_free(&msg);
            cfail(c, "AssertionError: %s  [assert%.*s]", has_msg ? m : "", (int)(end - start), start);
        }
        val_free(&msg);
    } else if (c->t == C_NAME && !is_name(c, "not") && !is_name(c, "print")) {
        /* assignment or expression statement */
        size_t save_pos = c->pos;
        int save_line = c->line, save_paren = c->paren;
        char name[128];
        snprintf(name, sizeof name, "%s", c->text);
        next(c);
        static const char *const aug[] = {"+=", "-=", "*=", "//=", "%=", "|=", "&=", NULL};
        if (is_op(c, "=")) {
            next(c);
            struct val v = test(c, true);
            end_of_statement(c);
            env_set(c->env, name, v);
            return;
        }
        for (int i = 0; aug[i]; i++) {
            if (is_op(c, aug[i])) {
                char op[4];
                snprintf(op, sizeof op, "%.*s", (int)strlen(aug[i]) - 1, aug[i]);
                next(c);
                struct val *old = env_find(c->env, name);
                if (!old)
                    cfail(c, "name '%s' is not defined", name);
                struct val v = arith(c, op, val_copy(old), test(c, true));
                end_of_statement(c);
                env_set(c->env, name, v);
                return;
            }
        }
        /* Not an assignment: re-read as an expression. */
        c->pos = save_pos - strlen(name);
        c->line = save_line;
        c->paren = save_paren;
        next(c);
        struct val v = test(c, true);
        val_free(&v);
        end_of_statement(c);
    } else if (is_name(c, "print")) {
        next(c);
        if (is_op(c, "(")) {
            next(c);
            struct val v = call(c, "print", true);
            val_free(&v);
        } else { /* Python 2 print statement */
            struct val v = test(c, true);
            char buf[400];
            val_fmt(&v, buf, sizeof buf);
            if (c->env->print)
                c->env->print(c->env->print_ctx, buf);
            else
                printf("%s\n", buf);
            val_free(&v);
        }
        end_of_statement(c);
    } else if (is_name(c, "if") || is_name(c, "for") || is_name(c, "while") || is_name(c, "def") ||
               is_name(c, "import")) {
        cfail(c, "'%s' is not supported by tapir-drill's evaluator", c->text);
    } else {
        struct val v = test(c, true);
        val_free(&v);
        end_of_statement(c);
    }
}

int code_run(struct code_env *env, const char *text, char *err, size_t errlen)
{
    struct cstate c;
    memset(&c, 0, sizeof c);
    c.env = env;
    c.src = text;
    c.len = strlen(text);
    c.line = 1;
    c.err = err;
    c.errlen = errlen;
    err[0] = '\0';
    if (setjmp(c.fail)) {
        free(c.text);
        return -1;
    }
    next(&c);
    while (c.t != C_END) {
        statement(&c);
        if (c.t == C_NEWLINE)
            next(&c);
    }
    free(c.text);
    return 0;
}
