/*
 * workbook_numbers.c: wb_format_16g prints what snprintf's "%.16G" prints, byte for byte, and
 * libxlsxwriter's number cells written through the interposed __fprintf_chk are the bytes glibc
 * writes.
 *
 * CP_16G_COUNT sets the number of random values per distribution (default 400,000, about 1 s
 * for the five; `CP_16G_COUNT=2000000 build/tests/sinks/test_workbook_numbers` is 10^7).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "../../src/sinks/workbook_internal.h"
#include "harness.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t next64(void) /* splitmix64 */
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof(v));
    return v;
}

static long mismatches;

/* One value: ours against libc's; the first few differences are printed. */
static void check_one(double v)
{
    char want[64], got[WB_NUMBER_MAX + 1];
    snprintf(want, sizeof(want), "%.16G", v);
    size_t n = wb_format_16g(v, got);
    got[n] = '\0';
    if (strcmp(want, got) != 0 && mismatches++ < 5)
        fprintf(stderr, "  %a: libc '%s', ours '%s'\n", v, want, got);
}

static long count(void)
{
    const char *s = getenv("CP_16G_COUNT");
    long n = s ? atol(s) : 0;
    return n > 0 ? n : 400000;
}

static void test_edges(void)
{
    static const double fixed[] = {0.0,
                                   1.0,
                                   -1.0,
                                   0.1,
                                   0.3,
                                   1e-4,
                                   1e-5,
                                   9.9e-5,
                                   1e15,
                                   999999999999999.9,
                                   1e14 + 0.25,
                                   1e14 + 0.75,
                                   123456789012345.6,
                                   0.5,
                                   2.5,
                                   3.0000000000000004,
                                   9.999999999999999,
                                   99.99999999999999,
                                   1e16,
                                   1e300,
                                   5e-324,
                                   INFINITY,
                                   -INFINITY,
                                   NAN};
    mismatches = 0;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_one(fixed[i]);
    check_one(-0.0);
    /* every power of ten in and around the fast range, and its neighbours a few ulps away */
    for (int e = -6; e <= 16; e++) {
        double p = pow(10.0, e);
        uint64_t b;
        memcpy(&b, &p, sizeof(b));
        for (int d = -4; d <= 4; d++) {
            check_one(from_bits(b + (uint64_t)(int64_t)d));
            check_one(-from_bits(b + (uint64_t)(int64_t)d));
        }
    }
    CHECK(mismatches == 0);
}

/* Five distributions: any bit pattern; log-uniform over the fast range and beyond; short
 * decimals (what cyclers write); exact binary ties at the 17th digit; integers. */
static void test_random(void)
{
    long n = count();
    mismatches = 0;
    for (long i = 0; i < n; i++)
        check_one(from_bits(next64()));
    for (long i = 0; i < n; i++) {
        double u = (double)(next64() >> 11) / 9007199254740992.0;
        check_one((next64() & 1 ? -1 : 1) * pow(10.0, -6.0 + 23.0 * u));
    }
    for (long i = 0; i < n; i++) {
        uint64_t r = next64();
        check_one((double)(int64_t)(r % 100000000) / pow(10.0, (double)(r >> 59)));
    }
    for (long i = 0; i < n;
         i++) { /* 14-digit integers plus eighths: 17 digits, exact ties at the 16th */
        uint64_t r = next64();
        double k = (double)(r % 900000000000000ull + 100000000000000ull) / 10.0;
        check_one(floor(k) + (double)((r >> 50) & 7) / 8.0);
    }
    for (long i = 0; i < n; i++)
        check_one((double)(int64_t)(next64() >> (next64() & 63)));
    CHECK(mismatches == 0);
}

/* A workbook written by libxlsxwriter with this thread's number cells ours, and one with
 * glibc's: the same bytes (zip entries carry a fixed time and the document a fixed creation time,
 * so the files compare whole). */
static char *book_bytes(const char *path, int fast, size_t *len)
{
    lxw_workbook_options o = {.constant_memory = 1};
    lxw_workbook *book = workbook_new_opt(path, &o);
    lxw_worksheet *ws = book ? workbook_add_worksheet(book, NULL) : NULL;
    lxw_format *f = book ? workbook_add_format(book) : NULL;
    lxw_doc_properties props = {.created = 1700000000}; /* not the clock: two writes compare */
    if (!ws || !f || workbook_set_properties(book, &props) != LXW_NO_ERROR)
        return NULL;
    wb_numbers_set_fast(fast); /* rows are written as the next one begins, not at close */
    format_set_num_format(f, "0.000");
    rng = 7;
    for (lxw_row_t r = 0; r < 2000; r++)
        for (lxw_col_t c = 0; c < 20; c++) {
            double v = from_bits(next64());
            if (c % 3 == 0)
                v = (double)(next64() % 4000000) / 1e3;
            worksheet_write_number(ws, r, c, isfinite(v) ? v : 1.5, c % 2 ? f : NULL);
        }
    lxw_error e = workbook_close(book);
    wb_numbers_set_fast(0);
    FILE *fp = e == LXW_NO_ERROR ? fopen(path, "rb") : NULL;
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long end = ftell(fp);
    rewind(fp);
    char *buf = end > 0 ? malloc((size_t)end) : NULL;
    if (buf && fread(buf, 1, (size_t)end, fp) != (size_t)end) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    remove(path);
    *len = (size_t)end;
    return buf;
}

static void test_interposed_cells(void)
{
    char dir[] = "/tmp/cp_wbnum_XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/n.xlsx", dir);
    size_t a = 0, b = 0;
    uint64_t before = wb_numbers_written();
    char *ours = book_bytes(path, 1, &a);
    uint64_t mine = wb_numbers_written() - before;
    char *libc = book_bytes(path, 0, &b);
    CHECK(mine == 2000 * 20); /* every cell went through the interposed call */
    CHECK(wb_numbers_written() - before == mine);
    rmdir(dir);
    CHECK(ours && libc);
    CHECK(a == b && a > 10000);
    CHECK(ours && libc && a == b && memcmp(ours, libc, a) == 0);
    free(ours);
    free(libc);
}

int main(void)
{
    RUN(test_edges);
    RUN(test_random);
    RUN(test_interposed_cells);
    return DONE();
}
