#ifndef CELLPIPE_PG_COPY_READER_H
#define CELLPIPE_PG_COPY_READER_H
/*
 * The network side of a COPY ... TO STDOUT, on its own thread, so that decoding the rows
 * overlaps with reading the next ones (src/sources/pg_fetch.c).
 *
 * A reader thread pulls CopyData messages with PQgetCopyData and appends them, whole, to
 * one of a few fixed chunks: a chunk is therefore a run of complete messages (for binary
 * COPY, complete tuples) in stream order. A chunk is handed over when the next message does
 * not fit, or at the end of the stream: one hand-over per chunk, not per row, and a server
 * slower than the decoder only makes the decoder wait. A message larger than a chunk is
 * handed over alone, as libpq's own buffer.
 *
 * Ownership: between start and stop only the reader thread touches the connection; after
 * cp_pg_copy_reader_stop() it is the caller's again, positioned after the last message read
 * (drain it, or read the COPY's final result). The chunks are allocated by start, in the
 * calling thread; the reader thread allocates nothing, so allocation-failure runs number
 * the allocations the same way at every run. When the thread cannot be started, next()
 * reads in the calling thread: same results, no overlap.
 */
#include <pthread.h>
#include <stddef.h>

#include <libpq-fe.h>

struct cp_error;

#define CP_PG_COPY_CHUNKS 4

struct cp_pg_copy_chunk {
    char *buf;   /* cap bytes, messages appended */
    size_t len;  /* bytes used */
    char *large; /* or one message from libpq (PQfreemem), len bytes */
};

struct cp_pg_copy_reader {
    PGconn *conn;
    PGcancel *cancel; /* taken before the thread starts: PQcancel is thread-safe */
    struct cp_pg_copy_chunk chunk[CP_PG_COPY_CHUNKS];
    size_t cap;
    pthread_mutex_t lock;
    pthread_cond_t filled, freed;
    size_t head;   /* chunk the consumer reads next */
    size_t nfull;  /* handed over, not yet released (the one being decoded included) */
    size_t fill;   /* chunk the reader fills next */
    int holding;   /* the consumer holds chunk `head` */
    int end;       /* the reader is done: `last` holds PQgetCopyData's final return */
    int last;      /* -1 end of COPY, -2 error */
    int stop;      /* the consumer gave up */
    char *pending; /* a message read that did not fit the chunk being filled */
    int pending_len;
    int initialised, threaded;
    pthread_t tid;
};

/* Prepare chunks of `cap` bytes and start the reader thread on a connection in COPY OUT
 * state. 0, or CP_EINTERNAL (out of memory) with nothing started. */
int cp_pg_copy_reader_start(struct cp_pg_copy_reader *r, PGconn *conn, size_t cap,
                            struct cp_error *err);

/* The next chunk, blocking until one is handed over: *data and *len set, return 1; or 0
 * when the stream has ended, *last then holding PQgetCopyData's final return (-1 the COPY
 * is complete, -2 an error: read it with PQgetResult after stop). The chunk stays valid
 * until the next call of next() or stop(). */
int cp_pg_copy_reader_next(struct cp_pg_copy_reader *r, const char **data, size_t *len, int *last);

/* Give up before the end (a row that does not decode): ask the server to cancel the COPY,
 * so a reader waiting for the network wakes up. Then stop() as always. */
void cp_pg_copy_reader_cancel(struct cp_pg_copy_reader *r);

/* Stop and join the reader thread, free the chunks; the connection is the caller's again.
 * Accepts a zero-initialised reader, or one whose start failed. */
void cp_pg_copy_reader_stop(struct cp_pg_copy_reader *r);

#endif
