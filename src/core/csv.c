#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cellpipe/alloc.h"
#include "cellpipe/csv.h"
#include "cellpipe/decimal.h"
#include "cellpipe/log.h"

void cp_csv_from_file(struct cp_csv *r, FILE *f, char sep)
{
    memset(r, 0, sizeof(*r));
    r->f = f;
    r->sep = sep ? sep : ',';
    r->path = "input";
    r->next_line = 1;
}

int cp_csv_open(struct cp_csv *r, const char *path, char sep)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    cp_csv_from_file(r, f, sep);
    r->path = path;
    r->owns_file = 1;
    return 0;
}

void cp_csv_close(struct cp_csv *r)
{
    if (r->owns_file && r->f)
        fclose(r->f);
    free(r->line); /* grown by getline(), so released with free() */
    cp_free(r->fields);
    memset(r, 0, sizeof(*r));
}

/* Read one physical line, appended at r->line + off. Returns its length or -1 at EOF. */
static long read_line(struct cp_csv *r, size_t off)
{
    if (off == 0)
        return getline(&r->line, &r->cap, r->f) < 0 ? -1 : (long)strlen(r->line);
    char *tmp = NULL;
    size_t tcap = 0;
    ssize_t n = getline(&tmp, &tcap, r->f);
    if (n < 0) {
        free(tmp);
        return -1;
    }
    char *nl = off + (size_t)n + 1 > r->cap ? realloc(r->line, off + (size_t)n + 1) : r->line;
    if (!nl) {
        free(tmp);
        errno = ENOMEM;
        return -2;
    }
    if (nl != r->line || off + (size_t)n + 1 > r->cap)
        r->cap = off + (size_t)n + 1;
    memcpy(nl + off, tmp, (size_t)n + 1);
    free(tmp);
    r->line = nl;
    return n;
}

static int push_field(struct cp_csv *r, char *start)
{
    /* checked here first: a call per field was 4 % of a per-cycle read (perf) */
    if (r->nfields >= r->fcap &&
        cp_grow((void **)&r->fields, &r->fcap, r->nfields + 1, sizeof(char *)) < 0)
        return -1;
    r->fields[r->nfields++] = start;
    return 0;
}

/* Split r->line in place; returns 1 when a quote is still open at the end. */
static int split(struct cp_csv *r, int *open_quote)
{
    char *p = r->line, *w = r->line, *start = r->line;
    int inq = 0;
    r->nfields = 0;
    for (; *p; p++) {
        if (inq) {
            if (*p == '"' && p[1] == '"')
                *w++ = *p++;
            else if (*p == '"')
                inq = 0;
            else
                *w++ = *p;
        } else if (*p == '"') {
            inq = 1;
        } else if (*p == r->sep) {
            *w++ = '\0';
            if (push_field(r, start) < 0)
                return -1;
            start = w;
        } else if (*p != '\r' && *p != '\n') {
            *w++ = *p;
        }
    }
    *w = '\0';
    *open_quote = inq;
    return push_field(r, start);
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes there are not one
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xC2 && p[0] <= 0xDF   ? 2
               : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
               : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4
                                              : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
        return 0;
    return n;
}

/* Rewrite r->line with every byte outside a valid UTF-8 sequence read as Latin-1 (U+0080 to
 * U+00FF, two bytes each), so that no later stage meets invalid UTF-8. 0, 1 when something
 * was converted, -1 out of memory. */
static int latin1_fix(struct cp_csv *r)
{
    const unsigned char *s = (const unsigned char *)r->line;
    size_t len = strlen(r->line), bad = 0;
    for (size_t i = 0, n; i < len; i += n ? n : 1)
        bad += (n = utf8_len(s + i)) == 0;
    if (bad == 0)
        return 0;
    char *out = malloc(len + bad + 1); /* replaces r->line, which getline() grows */
    if (!out)
        return -1;
    size_t w = 0;
    for (size_t i = 0, n; i < len; i += n ? n : 1) {
        if ((n = utf8_len(s + i)) > 0) {
            memcpy(out + w, s + i, n);
            w += n;
        } else {
            out[w++] = (char)(0xC0 | (s[i] >> 6));
            out[w++] = (char)(0x80 | (s[i] & 0x3F));
        }
    }
    out[w] = '\0';
    free(r->line);
    r->line = out;
    r->cap = len + bad + 1;
    return 1;
}

/* The quotes in s, its length and whether all of it is ASCII, in one pass: most records are
 * plain ASCII without quotes, and three passes (quotes, UTF-8 check, split) cost a fifth of
 * the Battery Archive per-cycle read (perf). */
static size_t scan_line(const char *s, size_t *len, int *ascii)
{
    size_t quotes = 0, i = 0;
    unsigned char high = 0;
    for (; s[i]; i++) {
        quotes += s[i] == '"';
        high |= (unsigned char)s[i];
    }
    *len = i;
    *ascii = high < 0x80;
    return quotes;
}

int cp_csv_next(struct cp_csv *r)
{
    long n = read_line(r, 0);
    if (n == -1)
        return ferror(r->f) ? -1 : 0;
    r->lineno = r->next_line++;
    if (r->lineno == 1 && n >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0)
        memmove(r->line, r->line + 3, (size_t)n - 2);
    /* a quoted field may hold newlines: join lines until the quotes balance */
    int ascii;
    for (;;) {
        size_t len;
        if (scan_line(r->line, &len, &ascii) % 2 == 0)
            break;
        long m = read_line(r, len);
        if (m == -2)
            return -1;
        if (m == -1) {
            errno = EILSEQ;
            return -1;
        }
        r->next_line++;
    }
    int fixed = ascii ? 0 : latin1_fix(r); /* an ASCII record is valid UTF-8 as it is */
    if (fixed == 1 && !r->warned_latin1) {
        r->warned_latin1 = 1;
        cp_log(CP_LOG_WARN, "msg=\"%s:%ld: not UTF-8, read as Latin-1\"", r->path, r->lineno);
    }
    int open_quote = 0;
    if (fixed < 0 || split(r, &open_quote) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 1;
}

static int same_name(const char *field, const char *name)
{
    while (*field == ' ')
        field++;
    size_t n = strlen(name), fl = strlen(field);
    while (fl && field[fl - 1] == ' ')
        fl--;
    return fl == n && strncasecmp(field, name, n) == 0;
}

int cp_csv_field_index(const struct cp_csv *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (same_name(r->fields[i], name))
            return (int)i;
    return -1;
}

int cp_csv_number(const char *s, double *out)
{
    while (*s == ' ')
        s++;
    *out = NAN;
    if (!*s)
        return -1;
    /* strtod also takes hexadecimal ("0x1"), which no cycler writes */
    const char *digits = s + (*s == '+' || *s == '-');
    if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        return -1;
    const char *fend; /* the same bits and end as strtod where it applies (decimal.h) */
    if (cp_decimal_fast(s, 0, out, &fend) == 0) {
        while (*fend == ' ')
            fend++;
        if (*fend == '\0')
            return 0;
        *out = NAN;
        return -1;
    }
    char *end;
    double v = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (end == s || *end)
        return -1;
    *out = v;
    return 0;
}
