#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dtoa.h"
#include "cellpipe/intern.h"
#include "cellpipe/timeutil.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"

static size_t type_size(enum cp_type type)
{
    switch (type) {
    case CP_F64:
        return sizeof(double);
    case CP_STR:
        return sizeof(char *);
    default:
        return sizeof(int64_t);
    }
}

static void fill_missing(struct cp_column *c, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        if (c->type == CP_F64)
            c->v.f64[i] = NAN;
        else if (c->type == CP_STR)
            c->v.str[i] = NULL;
        else
            c->v.i64[i] = CP_I64_NA;
    }
}

struct cp_table *cp_table_new(const char *name)
{
    struct cp_table *t = cp_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->name = cp_strdup(name ? name : "");
    if (!t->name) {
        cp_free(t);
        return NULL;
    }
    return t;
}

void cp_table_free(struct cp_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ncols; i++) {
        cp_free(t->cols[i].v.raw);
        cp_free(t->cols[i].name);
    }
    cp_intern_free(t->strings); /* the rows' strings: never freed one by one */
    cp_free(t->cols);
    cp_free(t->group_start);
    cp_free(t->name);
    cp_free(t);
}

const char *cp_type_name(enum cp_type type)
{
    static const char *names[] = {"f64", "i64", "str", "time"};
    return names[type];
}

int cp_table_find(const struct cp_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

int cp_table_add_column(struct cp_table *t, const char *name, enum cp_type type)
{
    int idx = cp_table_find(t, name);
    if (idx >= 0)
        return t->cols[idx].type == type ? idx : -1;
    if (cp_grow((void **)&t->cols, &t->colcap, t->ncols + 1, sizeof(*t->cols)) < 0)
        return -1;
    struct cp_column *c = &t->cols[t->ncols];
    memset(c, 0, sizeof(*c));
    c->type = type;
    c->name = cp_strdup(name);
    c->v.raw = cp_malloc((t->cap ? t->cap : 1) * type_size(type));
    if (!c->name || !c->v.raw) {
        cp_free(c->name);
        cp_free(c->v.raw);
        return -1;
    }
    fill_missing(c, 0, t->nrows);
    return (int)t->ncols++;
}

int cp_table_reserve(struct cp_table *t, size_t n)
{
    size_t need = t->nrows + n;
    if (need <= t->cap)
        return 0;
    size_t ncap = t->cap ? t->cap : 64;
    while (ncap < need)
        ncap *= 2;
    for (size_t i = 0; i < t->ncols; i++) {
        void *p = cp_realloc(t->cols[i].v.raw, ncap * type_size(t->cols[i].type));
        if (!p)
            return -1;
        t->cols[i].v.raw = p;
    }
    t->cap = ncap;
    return 0;
}

long cp_table_add_row(struct cp_table *t)
{
    if (t->nrows == t->cap && cp_table_reserve(t, 1) < 0)
        return -1;
    for (size_t i = 0; i < t->ncols; i++)
        fill_missing(&t->cols[i], t->nrows, t->nrows + 1);
    return (long)t->nrows++;
}

double *cp_table_f64(const struct cp_table *t, const char *name)
{
    int i = cp_table_find(t, name);
    return i >= 0 && t->cols[i].type == CP_F64 ? t->cols[i].v.f64 : NULL;
}

int64_t *cp_table_i64(const struct cp_table *t, const char *name)
{
    int i = cp_table_find(t, name);
    if (i < 0 || (t->cols[i].type != CP_I64 && t->cols[i].type != CP_TIME))
        return NULL;
    return t->cols[i].v.i64;
}

char **cp_table_str(const struct cp_table *t, const char *name)
{
    int i = cp_table_find(t, name);
    return i >= 0 && t->cols[i].type == CP_STR ? t->cols[i].v.str : NULL;
}

void cp_table_set_f64(struct cp_table *t, int col, size_t row, double v)
{
    t->cols[col].v.f64[row] = v;
}

void cp_table_set_i64(struct cp_table *t, int col, size_t row, int64_t v)
{
    t->cols[col].v.i64[row] = v;
}

int cp_table_set_strn(struct cp_table *t, int col, size_t row, const char *s, size_t len)
{
    if (!t->strings && !(t->strings = cp_intern_new()))
        return -1;
    char *d = cp_intern_get(t->strings, s, len);
    if (!d)
        return -1;
    t->cols[col].v.str[row] = d;
    return 0;
}

int cp_table_set_str(struct cp_table *t, int col, size_t row, const char *s)
{
    if (!s) {
        t->cols[col].v.str[row] = NULL;
        return 0;
    }
    return cp_table_set_strn(t, col, row, s, strlen(s));
}

size_t cp_table_bytes(const struct cp_table *t)
{
    size_t n = sizeof(*t) + t->colcap * sizeof(*t->cols);
    for (size_t i = 0; i < t->ncols; i++)
        n += t->cap * type_size(t->cols[i].type) + strlen(t->cols[i].name) + 1;
    if (t->group_start)
        n += (t->ngroups + 1) * sizeof(*t->group_start);
    return n + (t->strings ? cp_intern_bytes(t->strings) : 0);
}

int cp_table_is_na(const struct cp_table *t, int col, size_t row)
{
    const struct cp_column *c = &t->cols[col];
    switch (c->type) {
    case CP_F64:
        return isnan(c->v.f64[row]);
    case CP_STR:
        return c->v.str[row] == NULL;
    default:
        return c->v.i64[row] == CP_I64_NA;
    }
}

double cp_table_get_num(const struct cp_table *t, int col, size_t row)
{
    const struct cp_column *c = &t->cols[col];
    if (cp_table_is_na(t, col, row))
        return NAN;
    if (c->type == CP_F64)
        return c->v.f64[row];
    if (c->type != CP_STR)
        return (double)c->v.i64[row];
    char *end;
    double v = strtod(c->v.str[row], &end);
    return *end || end == c->v.str[row] ? NAN : v;
}

int cp_table_format_cell(const struct cp_table *t, int col, size_t row, struct cp_strbuf *sb)
{
    const struct cp_column *c = &t->cols[col];
    if (cp_table_is_na(t, col, row))
        return 0;
    switch (c->type) {
    case CP_F64:
        return cp_strbuf_add_double(sb, c->v.f64[row]);
    case CP_STR:
        return cp_strbuf_add_csv(sb, c->v.str[row]);
    case CP_I64: {
        char tmp[24];
        return cp_strbuf_add(sb, tmp, cp_dtoa_format_i64(c->v.i64[row], tmp));
    }
    case CP_TIME: {
        char tmp[32];
        cp_format_time(c->v.i64[row], tmp, sizeof(tmp));
        return cp_strbuf_adds(sb, tmp);
    }
    }
    return 0;
}

/* --- sorting: a permutation, then every column is gathered through it --- */

struct sort_ctx {
    char **k1;
    int64_t *k2;
};

static struct sort_ctx sort_keys; /* qsort has no context argument in C11 */

static int cmp_rows(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (sort_keys.k1) {
        const char *x = sort_keys.k1[i] ? sort_keys.k1[i] : "";
        const char *y = sort_keys.k1[j] ? sort_keys.k1[j] : "";
        int c = x == y ? 0 : strcmp(x, y); /* interned: equal values share a pointer */
        if (c)
            return c;
    }
    if (sort_keys.k2 && sort_keys.k2[i] != sort_keys.k2[j])
        return sort_keys.k2[i] < sort_keys.k2[j] ? -1 : 1;
    return i < j ? -1 : (i > j); /* stable */
}

static int gather(struct cp_column *c, const size_t *perm, size_t n)
{
    size_t sz = type_size(c->type);
    char *dst = cp_malloc((n ? n : 1) * sz);
    if (!dst)
        return -1;
    const char *src = c->v.raw;
    for (size_t i = 0; i < n; i++)
        memcpy(dst + i * sz, src + perm[i] * sz, sz);
    cp_free(c->v.raw);
    c->v.raw = dst;
    return 0;
}

static int already_sorted(const struct cp_table *t)
{
    size_t a;
    for (size_t i = 1; i < t->nrows; i++) {
        a = i - 1;
        size_t b = i;
        if (cmp_rows(&a, &b) > 0)
            return 0;
    }
    return 1;
}

int cp_table_sort(struct cp_table *t, const char *key1, const char *key2)
{
    static int busy; /* sort_keys is shared: sorting is a single-threaded stage */
    sort_keys.k1 = key1 ? cp_table_str(t, key1) : NULL;
    sort_keys.k2 = key2 ? cp_table_i64(t, key2) : NULL;
    if ((key1 && !sort_keys.k1) || (key2 && !sort_keys.k2) || busy)
        return -1;
    cp_free(t->group_start);
    t->group_start = NULL;
    t->ngroups = 0;
    if (already_sorted(t))
        return 0;
    size_t *perm = cp_malloc((t->nrows ? t->nrows : 1) * sizeof(*perm));
    if (!perm)
        return -1;
    for (size_t i = 0; i < t->nrows; i++)
        perm[i] = i;
    busy = 1;
    qsort(perm, t->nrows, sizeof(*perm), cmp_rows);
    busy = 0;
    int rc = 0;
    for (size_t c = 0; c < t->ncols && rc == 0; c++)
        rc = gather(&t->cols[c], perm, t->nrows);
    cp_free(perm);
    return rc;
}

/* Does row i begin a new key? Interned values compare by pointer first. */
static int starts_group(char *const *k, size_t i)
{
    if (i == 0)
        return 1;
    if (k[i] == k[i - 1])
        return 0;
    return strcmp(k[i] ? k[i] : "", k[i - 1] ? k[i - 1] : "") != 0;
}

int cp_table_group(struct cp_table *t, const char *key)
{
    char **k = cp_table_str(t, key);
    if (!k)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < t->nrows; i++)
        n += starts_group(k, i);
    size_t *gs = cp_malloc((n + 1) * sizeof(*gs));
    if (!gs)
        return -1;
    size_t g = 0;
    for (size_t i = 0; i < t->nrows; i++)
        if (starts_group(k, i))
            gs[g++] = i;
    gs[n] = t->nrows;
    cp_free(t->group_start);
    t->group_start = gs;
    t->ngroups = n;
    return 0;
}

long cp_table_group_find(const struct cp_table *t, const char *key, const char *value)
{
    char **k = cp_table_str(t, key);
    if (!k || !t->group_start)
        return -1;
    size_t lo = 0, hi = t->ngroups;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *s = k[t->group_start[mid]];
        int c = strcmp(s ? s : "", value);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int cp_table_filter(struct cp_table *t, const unsigned char *keep)
{
    for (size_t c = 0; c < t->ncols; c++) {
        struct cp_column *col = &t->cols[c];
        size_t sz = type_size(col->type), w = 0;
        char *base = col->v.raw;
        for (size_t i = 0; i < t->nrows; i++) /* a dropped row's string stays in the pool */
            if (keep[i]) {
                if (w != i)
                    memcpy(base + w * sz, base + i * sz, sz);
                w++;
            }
    }
    size_t w = 0;
    for (size_t i = 0; i < t->nrows; i++)
        w += keep[i] != 0;
    t->nrows = w;
    cp_free(t->group_start);
    t->group_start = NULL;
    t->ngroups = 0;
    return 0;
}

long cp_table_copy_row(struct cp_table *dst, const struct cp_table *src, size_t row)
{
    for (size_t c = 0; c < src->ncols; c++)
        if (cp_table_add_column(dst, src->cols[c].name, src->cols[c].type) < 0)
            return -1;
    long r = cp_table_add_row(dst);
    if (r < 0)
        return -1;
    for (size_t c = 0; c < src->ncols; c++) {
        int d = cp_table_find(dst, src->cols[c].name);
        const struct cp_column *s = &src->cols[c];
        if (s->type == CP_F64)
            cp_table_set_f64(dst, d, (size_t)r, s->v.f64[row]);
        else if (s->type == CP_STR) {
            if (cp_table_set_str(dst, d, (size_t)r, s->v.str[row]) < 0)
                return -1;
        } else
            cp_table_set_i64(dst, d, (size_t)r, s->v.i64[row]);
    }
    return r;
}
