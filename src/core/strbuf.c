#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dtoa.h"
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

/* The digits and layout are cp_dtoa_format's (Ryu): no printf, no locale. */
int cp_strbuf_add_double(struct cp_strbuf *sb, double v)
{
    char tmp[CP_DTOA_BUFSIZE];
    size_t n = cp_dtoa_format(v, tmp);
    return n ? cp_strbuf_add(sb, tmp, n) : 0;
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
