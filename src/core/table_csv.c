/*
 * cp_table_write_csv (include/cellpipe/table.h): the CSV writer of every results file.
 *
 * Rows are formatted straight into output buffers, no printf or allocation per value, in
 * batches of BATCH_ROWS rows on the pool's threads (ROUND batches at a time, each into its own
 * buffer), then written with fwrite in row order while the next round is formatted: the text
 * does not depend on the thread count.
 *
 * Measured (make bench: bench_csv, the sample lab's cycles.csv of 1,000 cells x 800 cycles,
 * 449,843 rows x 31 columns, 214 MiB, 2 cores at load ~0.8, fsync included): 15.8 s before
 * (at load ~6), 0.46 s now on both cores, 0.71 s on one; polars 2.1 write_csv on the same
 * table 0.44 s (0.46 s with fsync), so one thread alone would not keep up with it. Before,
 * each value went through a strbuf append and up to three snprintf + strtod (the %.15g ..
 * %.17g search): perf put printf and strtod at about 85 % of the stage. Numbers now come
 * from cp_dtoa_format (Ryu) and times from a civil-date conversion instead of gmtime_r +
 * strftime. The text is the same as cp_table_format_cell's (tests/unit/core/test_table_csv.c
 * checks it byte for byte). Batches of 2,048 rows instead of 4,096 halve the buffers (about
 * 8 MiB for cycles.csv instead of 16, held while the other sinks run) and are no slower: the
 * same bench, alternating at load ~1.2, 0.38-0.40 s on both cores and 0.63-0.65 s on one,
 * against 0.44 s and 0.71 s (1,024 rows: 0.41 s and 0.67-0.70 s).
 */
#ifdef __linux__
#define _GNU_SOURCE /* sync_file_range */
#include <fcntl.h>
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dtoa.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/pool.h"
#include "cellpipe/progress.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"
#include "cellpipe/timeutil.h"

#define BATCH_ROWS 2048
#define ROUND 4 /* batches per round; two rounds in memory: about 8 MiB for cycles.csv */
#define OUT_INIT (64u << 10)

/* A growing buffer for one batch's text. */
struct out {
    char *buf;
    size_t len, cap;
};

static int out_flush(struct out *o, FILE *f)
{
    if (o->len && fwrite(o->buf, 1, o->len, f) != o->len)
        return -1;
    o->len = 0;
    return 0;
}

/* Room for n more bytes: grow the buffer (doubling). */
static int out_room(struct out *o, size_t n)
{
    if (o->len + n <= o->cap)
        return 0;
    size_t cap = o->cap ? o->cap : OUT_INIT;
    while (cap < o->len + n)
        cap *= 2;
    char *nb = cp_realloc(o->buf, cap);
    if (!nb) {
        errno = ENOMEM;
        return -1;
    }
    o->buf = nb;
    o->cap = cap;
    return 0;
}

/* Room a field may take once formatted: the quoted worst case for text. */
static size_t field_room(const struct cp_column *c, size_t row)
{
    if (c->type != CP_STR)
        return CP_DTOA_BUFSIZE;
    return c->v.str[row] ? 2 * strlen(c->v.str[row]) + 2 : 0;
}

static size_t put_text(char *p, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        size_t n = strlen(s);
        memcpy(p, s, n);
        return n;
    }
    size_t o = 0;
    p[o++] = '"';
    for (; *s; s++) {
        if (*s == '"')
            p[o++] = '"';
        p[o++] = *s;
    }
    p[o++] = '"';
    return o;
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* Unix seconds as cp_format_time writes them, "YYYY-MM-DDTHH:MM:SSZ", for years 1000..9999 (by
 * H. Hinnant's days-to-civil algorithm); other years take cp_format_time itself. */
static size_t put_time(char *p, int64_t t)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - days * 86400;
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    if (y < 1000 || y > 9999) { /* strftime writes year 129 as "129": keep its text */
        cp_format_time(t, p, CP_DTOA_BUFSIZE);
        return strlen(p);
    }
    put2(p, (int)(y / 100));
    put2(p + 2, (int)(y % 100));
    p[4] = '-';
    put2(p + 5, (int)m);
    p[7] = '-';
    put2(p + 8, (int)d);
    p[10] = 'T';
    put2(p + 11, (int)(sec / 3600));
    p[13] = ':';
    put2(p + 14, (int)(sec / 60 % 60));
    p[16] = ':';
    put2(p + 17, (int)(sec % 60));
    p[19] = 'Z';
    return 20;
}

static size_t put_field(char *p, const struct cp_column *c, size_t row)
{
    switch (c->type) {
    case CP_F64:
        return cp_dtoa_format(c->v.f64[row], p); /* NaN: empty */
    case CP_STR:
        return c->v.str[row] ? put_text(p, c->v.str[row]) : 0;
    case CP_I64:
        return c->v.i64[row] == CP_I64_NA ? 0 : cp_dtoa_format_i64(c->v.i64[row], p);
    case CP_TIME:
        return c->v.i64[row] == CP_I64_NA ? 0 : put_time(p, c->v.i64[row]);
    }
    return 0;
}

static int put_row(struct out *o, const struct cp_table *t, size_t row)
{
    size_t need = t->ncols + 1;
    for (size_t c = 0; c < t->ncols; c++)
        need += field_room(&t->cols[c], row);
    if (out_room(o, need) < 0)
        return -1;
    char *p = o->buf + o->len;
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            *p++ = ',';
        p += put_field(p, &t->cols[c], row);
    }
    *p++ = '\n';
    o->len = (size_t)(p - o->buf);
    return 0;
}

static int put_header(struct out *o, const struct cp_table *t)
{
    struct cp_strbuf sb;
    cp_strbuf_init(&sb);
    int rc = 0;
    for (size_t c = 0; c < t->ncols && rc == 0; c++)
        rc = (c ? cp_strbuf_addch(&sb, ',') : 0) || cp_strbuf_add_csv(&sb, t->cols[c].name);
    if (rc == 0)
        rc = cp_strbuf_addch(&sb, '\n');
    if (rc == 0 && (rc = out_room(o, sb.len)) == 0) {
        memcpy(o->buf + o->len, sb.buf, sb.len);
        o->len += sb.len;
    }
    cp_strbuf_release(&sb);
    return rc ? -1 : 0;
}

/* Two sets of ROUND batch buffers: while one round is formatted into one set, the other set
 * (the round before) is written, as one more item of the same pool run. */
struct batches {
    const struct cp_table *t;
    FILE *f;
    size_t round;         /* round being formatted */
    size_t nfill, nwrite; /* batches to format / to write in this run */
    int write_errno;      /* errno is per thread: the write item's, for the caller */
    off_t synced;         /* bytes handed to the disk write-back so far */
    struct out out[2][ROUND];
};

static int format_batch(struct batches *b, size_t i)
{
    struct out *o = &b->out[b->round % 2][i];
    size_t from = (b->round * ROUND + i) * BATCH_ROWS, to = from + BATCH_ROWS;
    if (to > b->t->nrows)
        to = b->t->nrows;
    o->len = 0;
    for (size_t r = from; r < to; r++)
        if (put_row(o, b->t, r) < 0)
            return -CP_EINTERNAL; /* out of memory: the only way put_row fails */
    return 0;
}

/* Start the disk write-back of what the last round wrote (Linux), so that the fsync of
 * cp_afile_commit waits for the tail only: it was a sixth of writing cycles.csv. */
static void start_writeback(struct batches *b)
{
#ifdef __linux__
    off_t end = ftello(b->f);
    if (end > b->synced &&
        sync_file_range(fileno(b->f), b->synced, end - b->synced, SYNC_FILE_RANGE_WRITE) == 0)
        b->synced = end;
#else
    (void)b;
#endif
}

static int write_batches(struct batches *b)
{
    struct out *set = b->out[(b->round + 1) % 2];
    for (size_t i = 0; i < b->nwrite; i++) {
        if (out_flush(&set[i], b->f) < 0) {
            b->write_errno = errno;
            return -CP_ECANTCREAT;
        }
    }
    if (b->nwrite && fflush(b->f) != 0) {
        b->write_errno = errno;
        return -CP_ECANTCREAT;
    }
    start_writeback(b);
    return 0;
}

/* Item 0 writes the previous round (first, as it is the longest item), items 1.. format. */
static int round_item(void *ctx, size_t i)
{
    struct batches *b = ctx;
    return i == 0 ? write_batches(b) : format_batch(b, i - 1);
}

static int write_all(struct batches *b, long threads)
{
    struct cp_error err = {0};
    if (put_header(&b->out[0][0], b->t) < 0 || out_flush(&b->out[0][0], b->f) < 0)
        return -1;
    size_t per_round = (size_t)ROUND * BATCH_ROWS,
           nbatch = (b->t->nrows + BATCH_ROWS - 1) / BATCH_ROWS;
    size_t nrounds = (nbatch + ROUND - 1) / ROUND;
    for (b->round = 0; b->round <= nrounds; b->round++) { /* the last run only writes */
        size_t done = b->round * ROUND;
        b->nwrite = b->nfill;
        b->nfill = b->round < nrounds ? (nbatch - done < ROUND ? nbatch - done : ROUND) : 0;
        int rc = cp_pool_run(threads, 1 + b->nfill, round_item, b, &err);
        if (rc == -CP_ECANTCREAT)
            errno = b->write_errno;
        else if (rc < 0)
            errno = ENOMEM;
        if (rc < 0)
            return -1;
        size_t written = (b->round - (b->round > 0)) * per_round; /* rows before this write */
        if (b->round > 0)
            cp_progress_add(b->t->nrows - written < per_round ? b->t->nrows - written : per_round);
    }
    return 0;
}

int cp_table_write_csv_threads(const struct cp_table *t, const char *path, long threads)
{
    struct cp_afile af;
    if (cp_afile_open(&af, path) < 0)
        return -1;
    struct batches b = {.t = t, .f = af.f};
    int rc = write_all(&b, threads);
    int e = errno;
    for (int i = 0; i < ROUND; i++) {
        cp_free(b.out[0][i].buf);
        cp_free(b.out[1][i].buf);
    }
    if (rc < 0) {
        cp_afile_abort(&af);
        errno = e;
        return -1;
    }
    return cp_afile_commit(&af);
}

int cp_table_write_csv(const struct cp_table *t, const char *path)
{
    return cp_table_write_csv_threads(t, path, 0);
}
