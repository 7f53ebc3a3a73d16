/* String intern pool: see include/cellpipe/intern.h. Open addressing over a power-of-two slot
 * array; the strings themselves are packed into a few large chunks, so a value costs its bytes
 * and a slot instead of a heap block per row. */
#include <stdint.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/intern.h"

#define FIRST_SLOTS 16
#define FIRST_CHUNK 1024
#define MAX_CHUNK (64 * 1024)

struct slot {
    char *s; /* NULL: empty */
    size_t len;
    uint64_t hash;
};

struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
};

struct cp_intern {
    struct slot *slots;
    size_t cap; /* a power of two, or 0 before the first string */
    size_t n;
    struct chunk *chunks; /* newest first: only it has room */
    size_t bytes;
    const struct slot *last; /* the last hit: rows often repeat the previous value */
};

struct cp_intern *cp_intern_new(void)
{
    struct cp_intern *p = cp_calloc(1, sizeof(*p));
    if (p)
        p->bytes = sizeof(*p);
    return p;
}

void cp_intern_free(struct cp_intern *p)
{
    if (!p)
        return;
    for (struct chunk *c = p->chunks, *next; c; c = next) {
        next = c->next;
        cp_free(c);
    }
    cp_free(p->slots);
    cp_free(p);
}

/* FNV-1a, 64 bits: the values are short (ids, names), so a simple byte loop is enough. */
static uint64_t hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static int slot_is(const struct slot *sl, const char *s, size_t len, uint64_t h)
{
    return sl->hash == h && sl->len == len && memcmp(sl->s, s, len) == 0;
}

/* The slot holding s, or the empty slot where it belongs. */
static struct slot *probe(const struct cp_intern *p, const char *s, size_t len, uint64_t h)
{
    size_t mask = p->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask)
        if (!p->slots[i].s || slot_is(&p->slots[i], s, len, h))
            return &p->slots[i];
}

static int grow_slots(struct cp_intern *p)
{
    size_t ncap = p->cap ? p->cap * 2 : FIRST_SLOTS;
    struct slot *old = p->slots, *ns = cp_calloc(ncap, sizeof(*ns));
    if (!ns)
        return -1;
    size_t ocap = p->cap;
    p->slots = ns;
    p->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].s)
            *probe(p, old[i].s, old[i].len, old[i].hash) = old[i];
    cp_free(old);
    p->bytes += (ncap - ocap) * sizeof(*ns);
    p->last = NULL;
    return 0;
}

/* Room for n bytes in the newest chunk (a new one when it is full): the address, or NULL. */
static char *reserve(struct cp_intern *p, size_t n)
{
    struct chunk *c = p->chunks;
    if (c && c->cap - c->used >= n)
        return c->data + c->used;
    size_t cap = c ? c->cap * 2 : FIRST_CHUNK;
    cap = cap > MAX_CHUNK ? MAX_CHUNK : cap;
    cap = cap < n ? n : cap;
    struct chunk *nc = cp_malloc(sizeof(*nc) + cap);
    if (!nc)
        return NULL;
    *nc = (struct chunk){.next = c, .used = 0, .cap = cap};
    p->chunks = nc;
    p->bytes += sizeof(*nc) + cap;
    return nc->data;
}

const char *cp_intern_find(const struct cp_intern *p, const char *s, size_t len)
{
    if (!p->cap)
        return NULL;
    return probe(p, s, len, hash_bytes(s, len))->s;
}

/* Add s (not in the pool) and return its slot, or NULL with the pool's content unchanged. */
static struct slot *insert(struct cp_intern *p, const char *s, size_t len, uint64_t h)
{
    char *d = reserve(p, len + 1);
    if (!d || ((p->n + 1) * 2 > p->cap && grow_slots(p) < 0))
        return NULL;
    struct slot *sl = probe(p, s, len, h);
    memcpy(d, s, len);
    d[len] = '\0';
    p->chunks->used += len + 1;
    *sl = (struct slot){d, len, h};
    p->n++;
    return sl;
}

char *cp_intern_get(struct cp_intern *p, const char *s, size_t len)
{
    if (p->last && p->last->len == len && memcmp(p->last->s, s, len) == 0)
        return p->last->s;
    uint64_t h = hash_bytes(s, len);
    struct slot *sl = p->cap ? probe(p, s, len, h) : NULL;
    if ((!sl || !sl->s) && !(sl = insert(p, s, len, h)))
        return NULL;
    p->last = sl;
    return sl->s;
}

size_t cp_intern_count(const struct cp_intern *p)
{
    return p->n;
}

size_t cp_intern_bytes(const struct cp_intern *p)
{
    return p->bytes;
}
