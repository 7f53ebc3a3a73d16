/*
 * workbook_deflate.c: an entry deflated in blocks on several threads inflates back to its bytes,
 * with the CRC-32 and size zlib computes over the whole, and the same compressed bytes whatever
 * the number of threads; libxlsxwriter's workbook through the interposed minizip calls holds
 * the same parts as one deflated by minizip itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>
#include <zlib.h>

#include "../../src/sinks/workbook_internal.h"
#include "cellpipe/alloc.h"
#include "cellpipe/strbuf.h"
#include "harness.h"

#define BLOCK (512u * 1024u) /* workbook_deflate.c's block */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next32(void) /* xorshift64 */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* XML-like text that compresses as a sheet does: repeated tags, varying digits, and now and
 * then a run of random bytes that a back-reference across a block's edge would need. */
static unsigned char *sample(size_t len)
{
    unsigned char *b = malloc(len ? len : 1);
    size_t i = 0;
    while (b && i < len) {
        char row[96];
        int n = next32() % 50 == 0
                    ? snprintf(row, sizeof row, "%08x%08x%08x", next32(), next32(), next32())
                    : snprintf(row, sizeof row, "<c r=\"B%u\"><v>%u.%04u</v></c>",
                               next32() % 900000, next32() % 5, next32() % 10000);
        for (int k = 0; k < n && i < len; k++)
            b[i++] = (unsigned char)row[k];
    }
    return b;
}

static int collect(void *ctx, const void *buf, size_t len)
{
    return cp_strbuf_add(ctx, (const char *)buf, len) == 0 ? 0 : -1;
}

/* Raw inflate of z into a buffer of want bytes: 0 when it is exactly those bytes. */
static int inflate_equal(const struct cp_strbuf *z, const unsigned char *want, size_t len)
{
    unsigned char *out = malloc(len + 1);
    z_stream s = {0};
    int ok = out && inflateInit2(&s, -MAX_WBITS) == Z_OK;
    if (ok) {
        s.next_in = (unsigned char *)z->buf;
        s.avail_in = (uInt)z->len;
        s.next_out = out;
        s.avail_out = (uInt)len + 1;
        ok = inflate(&s, Z_FINISH) == Z_STREAM_END && s.total_out == len && s.avail_in == 0 &&
             memcmp(out, want, len) == 0;
        inflateEnd(&s);
    }
    free(out);
    return ok ? 0 : -1;
}

/* One entry of len bytes through wb_deflate with that many workers; its bytes in *z. */
static int deflate_entry(const unsigned char *in, size_t len, int workers, int level,
                         struct cp_strbuf *z)
{
    cp_strbuf_reset(z);
    struct wb_deflate *d = wb_deflate_open(level, workers, collect, z);
    if (!d)
        return -1;
    uint64_t total = 0;
    uint32_t crc = 0;
    int rc = 0;
    /* in uneven pieces, as minizip's callers write */
    for (size_t off = 0, step = 1; off < len && rc == 0; off += step, step = step * 3 + 7) {
        if (step > len - off)
            step = len - off;
        rc = wb_deflate_write(d, in + off, step);
    }
    if (rc == 0)
        rc = wb_deflate_finish(d, &total, &crc);
    wb_deflate_free(d);
    uint32_t want = (uint32_t)crc32(crc32(0L, Z_NULL, 0), in, (uInt)len);
    return rc == 0 && total == len && crc == want ? 0 : -1;
}

TEST(blocks_inflate_to_the_entry)
{
    static const size_t sizes[] = {
        0, 1, 1000, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, 5 * BLOCK + 12345, 9 * BLOCK + 3};
    struct cp_strbuf z0, zn;
    cp_strbuf_init(&z0);
    cp_strbuf_init(&zn);
    int ok = 1;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *in = sample(sizes[i]);
        ok &= in != NULL;
        for (int level = 1; ok && level <= 9; level += 2) {
            ok &= deflate_entry(in, sizes[i], 0, level, &z0) == 0;
            ok &= inflate_equal(&z0, in, sizes[i]) == 0;
            for (int w = 1; ok && w <= 4; w += 3) {
                ok &= deflate_entry(in, sizes[i], w, level, &zn) == 0;
                /* the threads' timing never shows in the bytes */
                ok &= zn.len == z0.len && memcmp(zn.buf, z0.buf, z0.len) == 0;
            }
            if (!ok)
                fprintf(stderr, "  size %zu, level %d\n", sizes[i], level);
        }
        free(in);
    }
    CHECK(ok);
    cp_strbuf_release(&z0);
    cp_strbuf_release(&zn);
}

/* Random bytes, which no level can shrink: each engine's blocks still fit their buffers and
 * inflate to the entry (igzip at 1 and 3, zlib at 6). */
TEST(incompressible_blocks_inflate)
{
    size_t len = 3 * BLOCK + 777;
    unsigned char *in = malloc(len);
    CHECK(in != NULL);
    if (!in)
        return;
    for (size_t i = 0; i < len; i++)
        in[i] = (unsigned char)next32();
    struct cp_strbuf z;
    cp_strbuf_init(&z);
    static const int levels[] = {1, 3, 6};
    for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
        CHECK_INT(deflate_entry(in, len, 2, levels[k], &z), 0);
        CHECK_INT(inflate_equal(&z, in, len), 0);
        CHECK(z.len > len); /* stored, not shrunk: the input really was incompressible */
    }
    cp_strbuf_release(&z);
    free(in);
}

/* The dictionary keeps the ratio: blocks lose under 1 % against one zlib stream. */
TEST(ratio_close_to_one_stream)
{
    size_t len = 6 * BLOCK;
    unsigned char *in = sample(len);
    struct cp_strbuf z;
    cp_strbuf_init(&z);
    uLongf one = compressBound((uLong)len);
    unsigned char *whole = malloc(one);
    CHECK(in && whole && compress2(whole, &one, in, (uLong)len, 6) == Z_OK);
    CHECK_INT(deflate_entry(in, len, 2, 6, &z), 0);
    CHECK((double)z.len < 1.01 * (double)one);
    free(whole);
    free(in);
    cp_strbuf_release(&z);
}

/* An emit that fails (a full disk) fails the entry, with or without workers. */
static int refuse(void *ctx, const void *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return -1;
}

TEST(emit_failure_fails_the_entry)
{
    size_t len = 3 * BLOCK;
    unsigned char *in = sample(len);
    for (int w = 0; w <= 2; w += 2) {
        struct wb_deflate *d = wb_deflate_open(6, w, refuse, NULL);
        CHECK(d != NULL);
        if (!d)
            continue;
        int rc = 0;
        for (size_t off = 0; off < len && rc == 0; off += BLOCK / 2)
            rc = wb_deflate_write(d, in + off, BLOCK / 2);
        uint64_t total;
        uint32_t crc;
        rc |= wb_deflate_finish(d, &total, &crc);
        CHECK(rc != 0);
        wb_deflate_free(d);
    }
    free(in);
}

TEST(allocation_failures_are_clean)
{
    int ok = 1;
    for (long n = 1; n < 20; n++) {
        cp_alloc_fail_at(n); /* counts from here */
        struct wb_deflate *d = wb_deflate_open(6, 2, refuse, NULL);
        long used = cp_alloc_count();
        cp_alloc_fail_at(0);
        wb_deflate_free(d);
        if (used < n) {
            ok &= d != NULL;
            break;
        }
        ok &= d == NULL;
    }
    CHECK(ok);
}

/* The parts of a workbook of one big sheet (several blocks), written through minizip's deflate
 * and through ours: each file passes `unzip -t` and the parts are the same bytes. */
static int write_book(const char *path, int level, int workers)
{
    lxw_workbook_options o = {.constant_memory = 1};
    lxw_workbook *book = workbook_new_opt(path, &o);
    lxw_worksheet *ws = book ? workbook_add_worksheet(book, "Cycles") : NULL;
    lxw_doc_properties props = {.created = 1700000000}; /* not the clock: the files compare */
    if (!ws || workbook_set_properties(book, &props) != LXW_NO_ERROR)
        return -1;
    for (lxw_row_t r = 0; r < 30000; r++)
        for (lxw_col_t c = 0; c < 6; c++)
            worksheet_write_number(ws, r, c, (double)(next32() % 100000) / 1000.0, NULL);
    wb_zip_set_level(level, workers);
    lxw_error e = workbook_close(book);
    wb_zip_set_level(0, 0);
    return e == LXW_NO_ERROR ? 0 : -1;
}

static int run(const char *cmd)
{
    return system(cmd) == 0 ? 0 : -1;
}

TEST(workbook_parts_match_minizip)
{
    char dir[] = "/tmp/cp-deflate-XXXXXX", cmd[512];
    CHECK(mkdtemp(dir) != NULL);
    uint64_t seed = rng;
    CHECK_INT(write_book(strcat(strcpy(cmd, dir), "/own.xlsx"), 0, 0), 0);
    for (int w = 0; w <= 3; w += 3) {
        rng = seed; /* the same cells */
        snprintf(cmd, sizeof cmd, "%s/ours%d.xlsx", dir, w);
        CHECK_INT(write_book(cmd, 1, w), 0);
        snprintf(cmd, sizeof cmd,
                 "cd %s && unzip -tq ours%d.xlsx >/dev/null && rm -rf a b && mkdir a b && "
                 "unzip -q own.xlsx -d a && unzip -q ours%d.xlsx -d b && "
                 "test $(unzip -Z1 own.xlsx | wc -l) -ge 9 && diff -r a b",
                 dir, w, w);
        CHECK_INT(run(cmd), 0);
        /* level 1 recorded in the entries' flags (bits 1-2 = 3), as minizip records it */
        snprintf(cmd, sizeof cmd,
                 "cd %s && zipinfo -v ours%d.xlsx | grep -q 'sub-type (deflation): *superfast'",
                 dir, w);
        CHECK_INT(run(cmd), 0);
    }
    snprintf(cmd, sizeof cmd, getenv("KEEP") ? "true %s" : "rm -rf %s", dir);
    run(cmd);
}

int main(void)
{
    RUN(blocks_inflate_to_the_entry);
    RUN(incompressible_blocks_inflate);
    RUN(ratio_close_to_one_stream);
    RUN(emit_failure_fails_the_entry);
    RUN(allocation_failures_are_clean);
    RUN(workbook_parts_match_minizip);
    return DONE();
}
