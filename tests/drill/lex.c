/* The tokenizer of packetdrill's script language.
 *
 * Everything a script holds falls into a few token kinds: numbers (times
 * such as `.1` or `0.200` become microseconds here, exactly, without floating
 * point), words (`S`, `win`, `SOCK_STREAM`), strings, `backquoted` shell
 * lines, %{ code }% blocks, --options, the ellipsis `...`, dotted IPv4
 * addresses and single punctuation characters.  Comments are C and C++ style.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/drill/drill.h"

void lex_init(struct lexer *lx, const char *src, size_t len)
{
    memset(lx, 0, sizeof *lx);
    lx->src = src;
    lx->len = len;
    lx->line = 1;
}

void token_free(struct token *t)
{
    free(t->text);
    t->text = NULL;
}

static char peek(const struct lexer *lx, size_t ahead)
{
    return lx->pos + ahead < lx->len ? lx->src[lx->pos + ahead] : '\0';
}

static char *dup_range(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (!r)
        abort();
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

/* Skips blanks and comments, counting lines. */
static bool skip_space(struct lexer *lx)
{
    for (;;) {
        char c = peek(lx, 0);
        if (c == '\n') {
            lx->line++;
            lx->pos++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx->pos++;
        } else if (c == '/' && peek(lx, 1) == '/') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && peek(lx, 1) == '*') {
            int start = lx->line;
            lx->pos += 2;
            while (lx->pos < lx->len && !(peek(lx, 0) == '*' && peek(lx, 1) == '/')) {
                if (lx->src[lx->pos] == '\n')
                    lx->line++;
                lx->pos++;
            }
            if (lx->pos >= lx->len) {
                snprintf(lx->err, sizeof lx->err, "line %d: unterminated /* comment", start);
                return false;
            }
            lx->pos += 2;
        } else {
            return true;
        }
    }
}

/* Seconds written as digits with an optional fraction -> µs, exactly. */
static int64_t secs_to_usecs(const char *s, size_t n)
{
    int64_t whole = 0, frac = 0;
    size_t i = 0;
    int digits = 0;
    for (; i < n && s[i] != '.'; i++)
        whole = whole * 10 + (s[i] - '0');
    if (i < n)
        i++;
    for (; i < n && digits < 6; i++, digits++)
        frac = frac * 10 + (s[i] - '0');
    for (; digits < 6; digits++)
        frac *= 10;
    return whole * 1000000 + frac;
}

/* Reads text up to the closing delimiter (string or backquote); backslash
 * escapes the next character. */
static bool quoted(struct lexer *lx, struct token *t, char delim, enum tok_type type)
{
    int start_line = lx->line;
    size_t start = ++lx->pos;
    while (lx->pos < lx->len && lx->src[lx->pos] != delim) {
        if (lx->src[lx->pos] == '\\' && lx->pos + 1 < lx->len)
            lx->pos++;
        if (lx->src[lx->pos] == '\n')
            lx->line++;
        lx->pos++;
    }
    if (lx->pos >= lx->len) {
        snprintf(lx->err, sizeof lx->err, "line %d: unterminated %c", start_line, delim);
        return false;
    }
    t->type = type;
    t->text = dup_range(lx->src + start, lx->pos - start);
    lx->pos++;
    return true;
}

bool lex_next(struct lexer *lx, struct token *t)
{
    memset(t, 0, sizeof *t);
    if (!skip_space(lx))
        return false;
    t->line = lx->line;
    if (lx->pos >= lx->len) {
        t->type = TK_EOF;
        t->text = dup_range("", 0);
        return true;
    }
    const char *s = lx->src + lx->pos;
    char c = s[0];

    /* %{ code }% */
    if (c == '%' && peek(lx, 1) == '{') {
        size_t start = lx->pos + 2, end = start;
        while (end + 1 < lx->len && !(lx->src[end] == '}' && lx->src[end + 1] == '%'))
            end++;
        if (end + 1 >= lx->len) {
            snprintf(lx->err, sizeof lx->err, "line %d: unterminated %%{ code block", lx->line);
            return false;
        }
        for (size_t i = start; i < end; i++)
            if (lx->src[i] == '\n')
                lx->line++;
        size_t a = start, b = end;
        while (a < b && (lx->src[a] == ' ' || lx->src[a] == '\t'))
            a++;
        while (b > a && (lx->src[b - 1] == ' ' || lx->src[b - 1] == '\t'))
            b--;
        t->type = TK_CODE;
        t->text = dup_range(lx->src + a, b - a);
        lx->pos = end + 2;
        return true;
    }
    if (c == '"')
        return quoted(lx, t, '"', TK_STRING);
    if (c == '`')
        return quoted(lx, t, '`', TK_BACKQ);
    if (c == '.' && peek(lx, 1) == '.' && peek(lx, 2) == '.') {
        t->type = TK_ELLIPSIS;
        t->text = dup_range("...", 3);
        lx->pos += 3;
        return true;
    }
    if (c == '-' && peek(lx, 1) == '-' && (isalnum((unsigned char)peek(lx, 2)) || peek(lx, 2) == '_')) {
        size_t n = 2;
        while (lx->pos + n < lx->len && (isalnum((unsigned char)s[n]) || s[n] == '_'))
            n++;
        t->type = TK_OPTION;
        t->text = dup_range(s + 2, n - 2);
        lx->pos += n;
        return true;
    }
    /* Hex integer. */
    if (c == '0' && (peek(lx, 1) == 'x' || peek(lx, 1) == 'X') && isxdigit((unsigned char)peek(lx, 2))) {
        size_t n = 2;
        while (lx->pos + n < lx->len && isxdigit((unsigned char)s[n]))
            n++;
        t->type = TK_INT;
        t->hex = true;
        t->text = dup_range(s, n);
        t->ival = (int64_t)strtoull(t->text + 2, NULL, 16);
        lx->pos += n;
        return true;
    }
    /* Numbers: [-]digits, [-]digits.digits, .digits, dotted quads. */
    bool neg = c == '-' && (isdigit((unsigned char)peek(lx, 1)) ||
                            (peek(lx, 1) == '.' && isdigit((unsigned char)peek(lx, 2))));
    size_t off = neg ? 1 : 0;
    if (isdigit((unsigned char)s[off]) || (s[off] == '.' && isdigit((unsigned char)peek(lx, off + 1)))) {
        size_t n = off, dots = 0;
        while (lx->pos + n < lx->len) {
            char d = s[n];
            if (isdigit((unsigned char)d)) {
                n++;
            } else if (d == '.' && lx->pos + n + 1 < lx->len && isdigit((unsigned char)s[n + 1])) {
                dots++;
                n++;
            } else {
                break;
            }
        }
        /* A word may start with digits (a hex blob like 1a2b): let words win. */
        if (!neg && dots == 0 && lx->pos + n < lx->len && (isalpha((unsigned char)s[n]) || s[n] == '_'))
            goto word;
        t->text = dup_range(s, n);
        lx->pos += n;
        if (dots == 3 && !neg) {
            t->type = TK_IPV4;
        } else if (dots == 0) {
            t->type = TK_INT;
            t->ival = strtoll(t->text, NULL, 10);
        } else if (dots == 1) {
            t->type = TK_FLOAT;
            t->ival = secs_to_usecs(t->text + off, n - off) * (neg ? -1 : 1);
        } else {
            snprintf(lx->err, sizeof lx->err, "line %d: malformed number '%s'", t->line, t->text);
            token_free(t);
            return false;
        }
        return true;
    }
word:
    if (isalnum((unsigned char)c) || c == '_') {
        size_t n = 0;
        while (lx->pos + n < lx->len && (isalnum((unsigned char)s[n]) || s[n] == '_'))
            n++;
        t->type = TK_WORD;
        t->text = dup_range(s, n);
        lx->pos += n;
        return true;
    }
    t->type = TK_PUNCT;
    t->text = dup_range(s, 1);
    lx->pos++;
    return true;
}
