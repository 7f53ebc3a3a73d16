/*
 * Deflate of one zip entry on several threads, as pigz does it: the entry's bytes are cut into
 * blocks of WB_DEFLATE_BLOCK; each block is compressed on its own (a raw deflate stream primed
 * with the previous block's last 32 KiB as dictionary, so the ratio barely changes) and ended
 * with a sync flush, the last with Z_FINISH; the blocks' outputs, written in order, are one
 * valid deflate stream, and their CRC-32s combine into the entry's (crc32_combine). The output
 * depends on the bytes and the level only, never on the threads' timing: the same input gives
 * the same file.
 *
 * The caller (workbook_zip.c, for the thread writing a workbook) feeds bytes with
 * wb_deflate_write and gets compressed bytes back through the emit callback, always on its own
 * thread and in order; workers start with the first full block, so a small entry is compressed
 * on the caller's thread without any. At most WB_DEFLATE_SLOTS blocks are in flight: memory is
 * bounded (about 4 x 2 x 512 KiB) whatever the entry's size.
 *
 * The engine: levels 1-3 are ISA-L's igzip at its levels 1-3, 4-9 zlib's. On the Cycles sheet
 * of the 1,000-cell nightly (522 MB of XML, 512 KiB blocks as here) igzip level 1 compresses
 * 3.3x as fast as zlib level 1 to a 2 % smaller file, and igzip level 3 is still faster than
 * zlib level 1 (docs/workbook.md, "Memory and speed"). Both take a preset dictionary and end a
 * block with a sync flush, so the blocks join the same way. CRC-32s are ISA-L's (the same
 * polynomial and values as zlib's, several times as fast); zlib combines them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "cellpipe/alloc.h"
#include "workbook_internal.h"

#define WB_DEFLATE_BLOCK (512u * 1024u)
#define WB_DEFLATE_SLOTS 4
#define WB_DEFLATE_DICT 32768u
#define WB_DEFLATE_MAX_WORKERS 4
#define WB_DEFLATE_ISAL_MAX 3 /* levels up to this one are igzip's */

/* One thread's compressor: zlib's stream, or igzip's with the buffer its level needs. */
struct engine {
    int level, isal, ready; /* ready: initialised, so engine_end has something to end */
    z_stream z;
    struct isal_zstream s;
    unsigned char *level_buf;
    uint32_t level_buf_size;
};

enum slot_state { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE };

struct slot {
    unsigned char *in, *out;
    unsigned char dict[WB_DEFLATE_DICT];
    size_t in_len, out_len, dict_len;
    uint64_t seq;
    uint32_t crc;
    int final, failed;
    enum slot_state state;
};

struct wb_deflate {
    int level, nworkers, started, stop, failed, sync_ready;
    size_t out_cap;
    pthread_t th[WB_DEFLATE_MAX_WORKERS];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot slots[WB_DEFLATE_SLOTS];
    uint64_t fill, emit; /* the block being filled; the next block to hand to emit */
    uint64_t total;
    uint32_t crc;
    struct engine own; /* the caller's, when no worker runs */
    wb_deflate_emit_fn emit_fn;
    void *emit_ctx;
};

static uint32_t isal_level_buf_size(int level)
{
    return level == 1   ? ISAL_DEF_LVL1_DEFAULT
           : level == 2 ? ISAL_DEF_LVL2_DEFAULT
                        : ISAL_DEF_LVL3_DEFAULT;
}

static int engine_init(struct engine *e, int level)
{
    memset(e, 0, sizeof(*e));
    e->level = level;
    e->isal = level <= WB_DEFLATE_ISAL_MAX;
    if (e->isal) {
        e->level_buf_size = isal_level_buf_size(level);
        e->level_buf = cp_malloc(e->level_buf_size);
        e->ready = e->level_buf != NULL;
    } else {
        e->ready =
            deflateInit2(&e->z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    return e->ready ? 0 : -1;
}

static void engine_end(struct engine *e)
{
    if (!e->ready)
        return;
    if (e->isal)
        cp_free(e->level_buf);
    else
        deflateEnd(&e->z);
    e->level_buf = NULL;
    e->ready = 0;
}

/* A block with zlib: 1 when it compressed whole into out. */
static int zlib_block(z_stream *z, struct slot *s, size_t cap)
{
    if (deflateReset(z) != Z_OK ||
        (s->dict_len > 0 && deflateSetDictionary(z, s->dict, (uInt)s->dict_len) != Z_OK))
        return 0;
    z->next_in = s->in;
    z->avail_in = (uInt)s->in_len;
    z->next_out = s->out;
    z->avail_out = (uInt)cap;
    int rc = deflate(z, s->final ? Z_FINISH : Z_SYNC_FLUSH);
    s->out_len = cap - z->avail_out;
    return s->final ? rc == Z_STREAM_END : rc == Z_OK && z->avail_in == 0 && z->avail_out > 0;
}

/* The same with igzip: a fresh raw stream per block, ended by a sync flush or as the last. */
static int isal_block(struct engine *e, struct slot *s, size_t cap)
{
    struct isal_zstream *z = &e->s;
    isal_deflate_init(z);
    z->level = (uint32_t)e->level;
    z->level_buf = e->level_buf;
    z->level_buf_size = e->level_buf_size;
    z->gzip_flag = IGZIP_DEFLATE;
    if (s->dict_len > 0 && isal_deflate_set_dict(z, s->dict, (uint32_t)s->dict_len) != COMP_OK)
        return 0;
    z->next_in = s->in;
    z->avail_in = (uint32_t)s->in_len;
    z->next_out = s->out;
    z->avail_out = (uint32_t)cap;
    z->end_of_stream = (uint16_t)s->final;
    z->flush = s->final ? NO_FLUSH : SYNC_FLUSH;
    int rc = isal_deflate(z);
    s->out_len = cap - z->avail_out;
    if (rc != COMP_OK || z->avail_in != 0 || z->avail_out == 0)
        return 0;
    return s->final ? z->internal_state.state == ZSTATE_END : 1;
}

/* One block: its own raw deflate stream, primed with the previous block's tail. */
static void compress_slot(struct engine *e, struct slot *s, size_t cap)
{
    int ok = e->isal ? isal_block(e, s, cap) : zlib_block(&e->z, s, cap);
    s->crc = crc32_gzip_refl(0, s->in, s->in_len);
    s->failed = !ok;
}

/* The READY slot with the lowest sequence number, or NULL. */
static struct slot *next_ready(struct wb_deflate *d)
{
    struct slot *best = NULL;
    for (int i = 0; i < WB_DEFLATE_SLOTS; i++) {
        struct slot *s = &d->slots[i];
        if (s->state == SLOT_READY && (!best || s->seq < best->seq))
            best = s;
    }
    return best;
}

static void *worker(void *arg)
{
    struct wb_deflate *d = arg;
    struct engine e;
    engine_init(&e, d->level); /* e.ready 0: every block this worker takes fails */
    pthread_mutex_lock(&d->mu);
    for (;;) {
        struct slot *s = next_ready(d);
        if (!s) {
            if (d->stop)
                break;
            pthread_cond_wait(&d->cv, &d->mu);
            continue;
        }
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&d->mu);
        if (e.ready)
            compress_slot(&e, s, d->out_cap);
        else
            s->failed = 1;
        pthread_mutex_lock(&d->mu);
        s->state = SLOT_DONE;
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    engine_end(&e);
    return NULL;
}

struct wb_deflate *wb_deflate_open(int level, int workers, wb_deflate_emit_fn emit, void *ctx)
{
    struct wb_deflate *d = cp_calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->level = level;
    d->nworkers = workers < 0                        ? 0
                  : workers > WB_DEFLATE_MAX_WORKERS ? WB_DEFLATE_MAX_WORKERS
                                                     : workers;
    d->emit_fn = emit;
    d->emit_ctx = ctx;
    d->crc = 0;
    if (engine_init(&d->own, level) < 0) {
        cp_free(d);
        return NULL;
    }
    /* zlib's bound; igzip falls back to stored blocks (5 bytes per 64 KiB) and needs less */
    d->out_cap = compressBound(WB_DEFLATE_BLOCK) + 64;
    for (int i = 0; i < WB_DEFLATE_SLOTS; i++) {
        d->slots[i].in = cp_malloc(WB_DEFLATE_BLOCK);
        d->slots[i].out = cp_malloc(d->out_cap);
        if (!d->slots[i].in || !d->slots[i].out) {
            wb_deflate_free(d);
            return NULL;
        }
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->sync_ready = 1;
    return d;
}

static void start_workers(struct wb_deflate *d)
{
    d->started = 1;
    int n = 0;
    for (; n < d->nworkers; n++)
        if (pthread_create(&d->th[n], NULL, worker, d) != 0)
            break;
    d->nworkers = n; /* none started: the caller compresses every block itself */
}

/* Hands the oldest block to emit, compressing it here first when no worker runs (none was
 * started: the entry had no full block, or none could be). */
static int emit_oldest(struct wb_deflate *d)
{
    struct slot *s = &d->slots[d->emit % WB_DEFLATE_SLOTS];
    pthread_mutex_lock(&d->mu);
    if ((!d->started || d->nworkers == 0) && s->state == SLOT_READY) {
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&d->mu);
        compress_slot(&d->own, s, d->out_cap);
        pthread_mutex_lock(&d->mu);
        s->state = SLOT_DONE;
    }
    while (s->state != SLOT_DONE)
        pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
    int rc = s->failed || d->emit_fn(d->emit_ctx, s->out, s->out_len) != 0 ? -1 : 0;
    d->crc = (uint32_t)crc32_combine(d->crc, s->crc, (z_off_t)s->in_len);
    d->total += s->in_len;
    s->in_len = 0;
    pthread_mutex_lock(&d->mu);
    s->state = SLOT_FREE;
    pthread_mutex_unlock(&d->mu);
    d->emit++;
    return rc;
}

/* The block being filled is complete: prime it with the previous block's tail and queue it. */
static int submit(struct wb_deflate *d, int final)
{
    struct slot *s = &d->slots[d->fill % WB_DEFLATE_SLOTS];
    s->dict_len = 0;
    if (d->fill > 0) {
        const struct slot *p = &d->slots[(d->fill - 1) % WB_DEFLATE_SLOTS];
        /* p is the previous block: its slot is refilled only SLOTS - 1 blocks later, and it
         * is full (only the final block is short) */
        s->dict_len = WB_DEFLATE_DICT;
        memcpy(s->dict, p->in + WB_DEFLATE_BLOCK - WB_DEFLATE_DICT, WB_DEFLATE_DICT);
    }
    s->final = final;
    s->seq = d->fill++;
    if (!final && !d->started && d->nworkers > 0)
        start_workers(d);
    pthread_mutex_lock(&d->mu);
    s->state = SLOT_READY;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    /* the next slot to fill must be free: at most SLOTS - 1 blocks in flight */
    while (d->fill - d->emit >= WB_DEFLATE_SLOTS)
        if (emit_oldest(d) < 0)
            return -1;
    return 0;
}

int wb_deflate_write(struct wb_deflate *d, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0 && !d->failed) {
        struct slot *s = &d->slots[d->fill % WB_DEFLATE_SLOTS];
        size_t n = WB_DEFLATE_BLOCK - s->in_len;
        if (n > len)
            n = len;
        memcpy(s->in + s->in_len, p, n);
        s->in_len += n;
        p += n;
        len -= n;
        if (s->in_len == WB_DEFLATE_BLOCK && submit(d, 0) < 0)
            d->failed = 1;
    }
    return d->failed ? -1 : 0;
}

int wb_deflate_finish(struct wb_deflate *d, uint64_t *total, uint32_t *crc)
{
    if (!d->failed && submit(d, 1) < 0)
        d->failed = 1;
    while (d->emit < d->fill)
        if (emit_oldest(d) < 0)
            d->failed = 1;
    *total = d->total;
    *crc = d->crc;
    return d->failed ? -1 : 0;
}

void wb_deflate_free(struct wb_deflate *d)
{
    if (!d)
        return;
    if (d->started) {
        pthread_mutex_lock(&d->mu);
        d->stop = 1;
        pthread_cond_broadcast(&d->cv);
        pthread_mutex_unlock(&d->mu);
        for (int i = 0; i < d->nworkers; i++)
            pthread_join(d->th[i], NULL);
    }
    if (d->sync_ready) {
        pthread_mutex_destroy(&d->mu);
        pthread_cond_destroy(&d->cv);
    }
    for (int i = 0; i < WB_DEFLATE_SLOTS; i++) {
        cp_free(d->slots[i].in);
        cp_free(d->slots[i].out);
    }
    engine_end(&d->own);
    cp_free(d);
}
