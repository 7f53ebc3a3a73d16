/*
 * cp_table_write_csv (src/core/table_csv.c) writes rows straight into its buffer; the text must
 * be what the generic cell formatter (cp_table_format_cell, cp_format_time) gives, for every
 * type, missing values, quoting, times far from today, and rows that do not fit one chunk.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellpipe/alloc.h"
#include "cellpipe/fs.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"
#include "harness.h"

static uint64_t rng = 12345;

static uint64_t next64(void) /* xorshift64 */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const texts[] = {"cell-0001", "a,b", "say \"hi\"", "two\nlines", "", "x\r"};

static void fill_row(struct cp_table *t, size_t r)
{
    uint64_t k = next64();
    double f;
    uint64_t bits = next64();
    memcpy(&f, &bits, sizeof f);
    const double special[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0, 1e-5, 1e15, 0.1};
    cp_table_set_f64(t, 0, r, k % 4 == 0 ? special[k / 4 % 8] : isfinite(f) ? f : 1.25);
    cp_table_set_f64(t, 1, r, (double)(int64_t)(next64() % 2000001 - 1000000) / 1000);
    const int64_t ints[] = {CP_I64_NA, INT64_MIN + 1, INT64_MAX, 0, -7};
    cp_table_set_i64(t, 2, r, k % 3 == 0 ? ints[k / 3 % 5] : (int64_t)next64());
    /* times from year -3000 to 12000, NA, and around the epoch */
    int64_t span = (int64_t)15000 * 31556952;
    int64_t tm = (int64_t)(next64() % (uint64_t)span) - (int64_t)4970 * 31556952;
    cp_table_set_i64(t, 3, r,
                     k % 5 == 0   ? CP_I64_NA
                     : k % 5 == 1 ? (int64_t)(k % 200000) - 100000
                                  : tm);
    cp_table_set_str(t, 4, r, k % 7 == 0 ? NULL : texts[k / 7 % 6]);
}

static struct cp_table *make(size_t nrows)
{
    struct cp_table *t = cp_table_new("t");
    cp_table_add_column(t, "bits", CP_F64);
    cp_table_add_column(t, "milli", CP_F64);
    cp_table_add_column(t, "n", CP_I64);
    cp_table_add_column(t, "when", CP_TIME);
    cp_table_add_column(t, "text, quoted", CP_STR);
    for (size_t i = 0; i < nrows; i++)
        fill_row(t, (size_t)cp_table_add_row(t));
    return t;
}

/* The file cp_table_write_csv should write, built with the generic per-cell formatter. */
static void expected(const struct cp_table *t, struct cp_strbuf *sb)
{
    for (size_t c = 0; c < t->ncols; c++) {
        if (c)
            cp_strbuf_addch(sb, ',');
        cp_strbuf_add_csv(sb, t->cols[c].name);
    }
    cp_strbuf_addch(sb, '\n');
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                cp_strbuf_addch(sb, ',');
            cp_table_format_cell(t, (int)c, r, sb);
        }
        cp_strbuf_addch(sb, '\n');
    }
}

static char *write_read_threads(const struct cp_table *t, size_t *len, long threads)
{
    char path[] = "/tmp/cp_test_table_csv_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char *text = NULL;
    if (cp_table_write_csv_threads(t, path, threads) < 0 || cp_fs_read_file(path, &text, len) < 0)
        text = NULL;
    unlink(path);
    return text;
}

static char *write_read(const struct cp_table *t, size_t *len)
{
    return write_read_threads(t, len, 0);
}

TEST(same_as_cell_formatter)
{
    struct cp_table *t = make(60000); /* several rounds of batches, a short last one */
    struct cp_strbuf want;
    cp_strbuf_init(&want);
    expected(t, &want);
    size_t len = 0;
    char *got = write_read(t, &len);
    CHECK(got != NULL);
    CHECK(want.len > (2u << 20));
    CHECK_INT(len, want.len);
    if (got && len == want.len)
        CHECK(memcmp(got, want.buf, len) == 0);
    CHECK(got && strstr(got, "\"say \"\"hi\"\"\""));
    CHECK(got && strstr(got, ",1970-01-01T"));
    for (long th = 1; th <= 3; th += 2) { /* batches may be written by any thread, in order */
        size_t n = 0;
        char *other = write_read_threads(t, &n, th);
        CHECK(other && n == want.len && memcmp(other, want.buf, n) == 0);
        cp_free(other);
    }
    cp_free(got);
    cp_strbuf_release(&want);
    cp_table_free(t);
}

TEST(row_larger_than_chunk)
{
    struct cp_table *t = cp_table_new("t");
    int s = cp_table_add_column(t, "s", CP_STR);
    size_t n = 3u << 20;
    char *big = cp_malloc(n + 1);
    memset(big, 'q', n);
    big[n] = '\0';
    big[7] = '"';
    long r = cp_table_add_row(t);
    cp_table_set_str(t, s, (size_t)r, big);
    r = cp_table_add_row(t);
    cp_table_set_str(t, s, (size_t)r, "end");
    size_t len = 0;
    char *got = write_read(t, &len);
    CHECK_INT(len, 2 + n + 1 + 2 + 1 + 4);
    CHECK(got && got[2] == '"' && got[2 + 8] == '"' && got[2 + 9] == '"');
    CHECK(got && strcmp(got + len - 4, "end\n") == 0);
    cp_free(got);
    cp_free(big);
    cp_table_free(t);
}

TEST(known_text)
{
    struct cp_table *t = cp_table_new("t");
    int f = cp_table_add_column(t, "f", CP_F64);
    int w = cp_table_add_column(t, "when", CP_TIME);
    long r = cp_table_add_row(t);
    cp_table_set_f64(t, f, (size_t)r, -0.0);
    cp_table_set_i64(t, w, (size_t)r, 951782400); /* 2000-02-29, a leap day */
    r = cp_table_add_row(t);
    cp_table_set_f64(t, f, (size_t)r, 2.5e-7);
    cp_table_set_i64(t, w, (size_t)r, -1); /* one second before the epoch */
    char *got = write_read(t, NULL);
    CHECK_STR(got, "f,when\n0,2000-02-29T00:00:00Z\n2.5e-07,1969-12-31T23:59:59Z\n");
    cp_free(got);
    cp_table_free(t);
}

int main(void)
{
    RUN(known_text);
    RUN(same_as_cell_formatter);
    RUN(row_larger_than_chunk);
    return DONE();
}
