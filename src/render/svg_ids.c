/*
 * Cairo names some SVG elements after a counter shared by the whole process ("surface66",
 * "image12"): their numbers depend on how many surfaces any thread made before, so two sinks
 * drawing at once would change each other's files. Renumbered here in order of first use,
 * the ids depend on the figure alone.
 */
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/strbuf.h"
#include "plot_internal.h"

struct id_map {
    unsigned long *from; /* from[i]: cairo's number of the id that becomes i */
    size_t n, cap;
};

static const char *const kinds[] = {"surface", "image"};
enum { NKINDS = sizeof(kinds) / sizeof(kinds[0]) };

/* Index of `id` in the map (added when new), or -1 when out of memory. A file has a few ids
 * of each kind, so a linear search is enough. */
static long map_id(struct id_map *m, unsigned long id)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->from[i] == id)
            return (long)i;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        unsigned long *from = cp_realloc(m->from, cap * sizeof(*from));
        if (!from)
            return -1;
        m->from = from;
        m->cap = cap;
    }
    m->from[m->n] = id;
    return (long)m->n++;
}

/* The kind of id that starts at p (after a quote or '#'), or -1. */
static int id_kind(const char *p, const char *end)
{
    for (int k = 0; k < NKINDS; k++) {
        size_t n = strlen(kinds[k]);
        if ((size_t)(end - p) > n && memcmp(p, kinds[k], n) == 0 && p[n] >= '0' && p[n] <= '9')
            return k;
    }
    return -1;
}

/* Copies [p, end) to sb with every id of a known kind renumbered. */
static int renumber(const char *p, const char *end, struct id_map *maps, struct cp_strbuf *sb)
{
    const char *copied = p;
    int rc = 0;
    for (; rc == 0 && p < end; p++) {
        if (*p != '"' && *p != '#')
            continue;
        int k = id_kind(p + 1, end);
        if (k < 0)
            continue;
        const char *digits = p + 1 + strlen(kinds[k]), *q = digits;
        unsigned long id = 0;
        for (; q < end && *q >= '0' && *q <= '9'; q++)
            id = id * 10 + (unsigned long)(*q - '0');
        long to = map_id(&maps[k], id);
        if (to < 0)
            return -1;
        rc = cp_strbuf_add(sb, copied, (size_t)(digits - copied));
        if (rc == 0)
            rc = cp_strbuf_addf(sb, "%ld", to);
        copied = q;
        p = q - 1;
    }
    if (rc == 0)
        rc = cp_strbuf_add(sb, copied, (size_t)(end - copied));
    return rc;
}

int cp_svg_renumber_ids(struct cp_strbuf *out, size_t start)
{
    struct id_map *maps = cp_calloc(NKINDS, sizeof(*maps));
    struct cp_strbuf sb = CP_STRBUF_INIT;
    int rc = maps ? renumber(out->buf + start, out->buf + out->len, maps, &sb) : -1;
    if (rc == 0) {
        out->len = start;
        out->buf[start] = '\0';
        rc = cp_strbuf_add(out, sb.buf, sb.len);
    }
    cp_strbuf_release(&sb);
    for (int k = 0; maps && k < NKINDS; k++)
        cp_free(maps[k].from);
    cp_free(maps);
    return rc;
}
