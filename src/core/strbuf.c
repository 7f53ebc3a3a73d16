#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/strbuf.h"

static char empty[1];

void cp_strbuf_init(struct cp_strbuf *sb)
{
    sb->buf = empty;
    sb->len = 0;
    sb->cap = 0;
}

void cp_strbuf_release(struct cp_strbuf *sb)
{
    if (sb->cap)
        cp_free(sb->buf);
    cp_strbuf_init(sb);
}

void cp_strbuf_reset(struct cp_strbuf *sb)
{
    sb->len = 0;
    if (sb->cap)
        sb->buf[0] = '\0';
}

int cp_strbuf_grow(struct cp_strbuf *sb, size_t extra)
{
    if (!sb->buf)
        cp_strbuf_init(sb);
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return 0;
    size_t ncap = sb->cap ? sb->cap : 64;
    while (ncap < need)
        ncap *= 2;
    char *nb = cp_realloc(sb->cap ? sb->buf : NULL, ncap);
    if (!nb)
        return -1;
    if (!sb->cap)
        nb[0] = '\0';
    sb->buf = nb;
    sb->cap = ncap;
    return 0;
}

int cp_strbuf_add(struct cp_strbuf *sb, const char *data, size_t n)
{
    if (cp_strbuf_grow(sb, n) < 0)
        return -1;
    memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return 0;
}

int cp_strbuf_adds(struct cp_strbuf *sb, const char *s)
{
    return cp_strbuf_add(sb, s, strlen(s));
}

int cp_strbuf_addch(struct cp_strbuf *sb, char c)
{
    return cp_strbuf_add(sb, &c, 1);
}

int cp_strbuf_vaddf(struct cp_strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, cp);
    va_end(cp);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(small))
        return cp_strbuf_add(sb, small, (size_t)n);
    if (cp_strbuf_grow(sb, (size_t)n) < 0)
        return -1;
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int cp_strbuf_addf(struct cp_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cp_strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
    return rc;
}

/*
 * Fast path for values with few decimals (what cyclers write): if v == D / 10^k for an
 * integer D < 2^53 and k <= 9, "D with k decimals" reads back to v exactly, because the
 * division and strtod both round the same exact rational correctly. The smallest such k
 * gives the shortest text. printf and strtod are about two thirds of the results stage
 * (perf); this path skips them for measured values, while computed features still take the
 * printf round-trip path below.
 */
static int add_short_decimal(struct cp_strbuf *sb, double v)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    double a = fabs(v);
    if (!(a < 1e15) || (a != 0 && a < 1e-6))
        return 1;
    for (int k = 0; k <= 9; k++) {
        double d = nearbyint(a * p10[k]);
        if (d >= 9007199254740992.0)
            return 1;
        if (d / p10[k] != a)
            continue;
        char digits[32], out[40];
        int n = snprintf(digits, sizeof(digits), "%.0f", d), o = 0;
        if (v < 0)
            out[o++] = '-';
        if (n <= k) { /* 0.00ddd */
            out[o++] = '0';
            out[o++] = '.';
            for (int z = 0; z < k - n; z++)
                out[o++] = '0';
            memcpy(out + o, digits, (size_t)n);
            o += n;
        } else {
            memcpy(out + o, digits, (size_t)(n - k));
            o += n - k;
            if (k) {
                out[o++] = '.';
                memcpy(out + o, digits + n - k, (size_t)k);
                o += k;
            }
        }
        return cp_strbuf_add(sb, out, (size_t)o);
    }
    return 1;
}

int cp_strbuf_add_double(struct cp_strbuf *sb, double v)
{
    if (isnan(v))
        return 0;
    if (isinf(v))
        return cp_strbuf_adds(sb, v > 0 ? "inf" : "-inf");
    int rc = add_short_decimal(sb, v);
    if (rc <= 0)
        return rc;
    char tmp[40];
    /* shortest of %.15g .. %.17g that reads back to the same bits */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v)
            break;
    }
    return cp_strbuf_adds(sb, tmp);
}

int cp_strbuf_add_csv(struct cp_strbuf *sb, const char *s)
{
    if (!s)
        return 0;
    if (!strpbrk(s, ",\"\r\n"))
        return cp_strbuf_adds(sb, s);
    if (cp_strbuf_addch(sb, '"') < 0)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && cp_strbuf_addch(sb, '"') < 0)
            return -1;
        if (cp_strbuf_addch(sb, *p) < 0)
            return -1;
    }
    return cp_strbuf_addch(sb, '"');
}

char *cp_strbuf_detach(struct cp_strbuf *sb)
{
    char *r = sb->cap ? sb->buf : cp_strdup("");
    cp_strbuf_init(sb);
    return r;
}
