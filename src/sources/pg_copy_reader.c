/*
 * COPY OUT on a reader thread, handing chunks of whole CopyData messages to the decoder
 * (pg_copy_reader.h has the contract).
 */
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "pg_copy_reader.h"

/* Wait for a free chunk; 0 when the consumer has given up. */
static int wait_free(struct cp_pg_copy_reader *r)
{
    pthread_mutex_lock(&r->lock);
    while (r->nfull == CP_PG_COPY_CHUNKS && !r->stop)
        pthread_cond_wait(&r->freed, &r->lock);
    int ok = !r->stop;
    pthread_mutex_unlock(&r->lock);
    return ok;
}

static void publish(struct cp_pg_copy_reader *r, int has_data, int last)
{
    pthread_mutex_lock(&r->lock);
    if (has_data) {
        r->nfull++;
        r->fill++;
    }
    if (last < 0) {
        r->end = 1;
        r->last = last;
    }
    pthread_cond_signal(&r->filled);
    pthread_mutex_unlock(&r->lock);
}

/* The next message: the one that did not fit the previous chunk, else from libpq (waiting
 * for the network). PQgetCopyData's length or final code. */
static int next_message(struct cp_pg_copy_reader *r, char **msg)
{
    if (r->pending) {
        *msg = r->pending;
        r->pending = NULL;
        return r->pending_len;
    }
    return PQgetCopyData(r->conn, msg, 0);
}

/* Fill one chunk and hand it over. 1 while there is more to read, 0 at the end of the
 * stream or when the consumer has given up. */
static int fill_one(struct cp_pg_copy_reader *r)
{
    if (!wait_free(r))
        return 0;
    struct cp_pg_copy_chunk *c = &r->chunk[r->fill % CP_PG_COPY_CHUNKS];
    c->len = 0;
    c->large = NULL;
    int last = 0;
    for (;;) {
        char *msg = NULL;
        int n = next_message(r, &msg);
        if (n <= 0) {
            last = n;
            break;
        }
        if (c->len > 0 && (size_t)n > r->cap - c->len) {
            r->pending = msg; /* the first of the next chunk */
            r->pending_len = n;
            break;
        }
        if ((size_t)n > r->cap) {
            c->large = msg;
            c->len = (size_t)n;
            break;
        }
        memcpy(c->buf + c->len, msg, (size_t)n);
        c->len += (size_t)n;
        PQfreemem(msg);
    }
    publish(r, c->len > 0, last);
    return last == 0;
}

static void *reader_main(void *arg)
{
    struct cp_pg_copy_reader *r = arg;
    while (fill_one(r))
        ;
    return NULL;
}

int cp_pg_copy_reader_start(struct cp_pg_copy_reader *r, PGconn *conn, size_t cap,
                            struct cp_error *err)
{
    memset(r, 0, sizeof(*r));
    r->conn = conn;
    r->cap = cap;
    for (int i = 0; i < CP_PG_COPY_CHUNKS; i++) {
        if (!(r->chunk[i].buf = cp_malloc(cap))) {
            cp_pg_copy_reader_stop(r);
            return cp_error_oom(err);
        }
    }
    r->cancel = PQgetCancel(conn);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->filled, NULL);
    pthread_cond_init(&r->freed, NULL);
    r->initialised = 1;
    r->threaded = pthread_create(&r->tid, NULL, reader_main, r) == 0;
    return 0;
}

/* Give the chunk the consumer had back to the reader. Called with the lock held. */
static void release_current(struct cp_pg_copy_reader *r)
{
    if (!r->holding)
        return;
    struct cp_pg_copy_chunk *c = &r->chunk[r->head % CP_PG_COPY_CHUNKS];
    if (c->large)
        PQfreemem(c->large);
    c->large = NULL;
    r->holding = 0;
    r->head++;
    r->nfull--;
    pthread_cond_signal(&r->freed);
}

int cp_pg_copy_reader_next(struct cp_pg_copy_reader *r, const char **data, size_t *len, int *last)
{
    pthread_mutex_lock(&r->lock);
    release_current(r);
    while (r->nfull == 0 && !r->end) {
        if (r->threaded) {
            pthread_cond_wait(&r->filled, &r->lock);
            continue;
        }
        pthread_mutex_unlock(&r->lock);
        fill_one(r);
        pthread_mutex_lock(&r->lock);
    }
    int more = r->nfull > 0;
    if (more) {
        const struct cp_pg_copy_chunk *c = &r->chunk[r->head % CP_PG_COPY_CHUNKS];
        *data = c->large ? c->large : c->buf;
        *len = c->len;
        r->holding = 1;
    } else {
        *last = r->last;
    }
    pthread_mutex_unlock(&r->lock);
    return more;
}

void cp_pg_copy_reader_cancel(struct cp_pg_copy_reader *r)
{
    char buf[256];
    if (r->cancel)
        PQcancel(r->cancel, buf, sizeof(buf));
}

void cp_pg_copy_reader_stop(struct cp_pg_copy_reader *r)
{
    if (r->initialised) {
        pthread_mutex_lock(&r->lock);
        r->stop = 1;
        pthread_cond_broadcast(&r->freed);
        pthread_mutex_unlock(&r->lock);
        if (r->threaded)
            pthread_join(r->tid, NULL);
        r->threaded = 0;
        /* Chunks handed over and not read (the consumer gave up) may hold libpq buffers. */
        while (r->nfull > 0) {
            r->holding = 1;
            release_current(r);
        }
        pthread_cond_destroy(&r->filled);
        pthread_cond_destroy(&r->freed);
        pthread_mutex_destroy(&r->lock);
        r->initialised = 0;
    }
    if (r->pending)
        PQfreemem(r->pending);
    r->pending = NULL;
    PQfreeCancel(r->cancel);
    r->cancel = NULL;
    for (int i = 0; i < CP_PG_COPY_CHUNKS; i++) {
        cp_free(r->chunk[i].buf);
        r->chunk[i].buf = NULL;
    }
}
