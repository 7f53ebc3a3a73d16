/*
 * The number cells of workbook.xlsx, written without libc's %.16G.
 *
 * libxlsxwriter 1.1.4 writes every number cell with one fprintf call, `<c r="%s"><v>%.16G</v>
 * </c>` (with ` s="%d"` when the cell has a format), which Debian's build compiles to glibc's
 * fortified __fprintf_chk. glibc formats %.16G with multi-precision arithmetic: at level 1 that
 * is about a third of the whole workbook stage (docs/workbook.md, "Memory and speed"). The
 * library has no option for it, so cellpipe defines __fprintf_chk itself: the dynamic linker
 * binds the library's calls to the executable's definition first (ELF symbol interposition, as
 * workbook_zip.c does for minizip). On the thread writing a workbook, and for those two format
 * strings only, the cell is formatted here, byte for byte what glibc prints (wb_format_16g,
 * checked against snprintf on millions of doubles by tests/unit/sinks/test_workbook_numbers.c);
 * every other call, on any thread, goes to glibc's __vfprintf_chk unchanged.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "workbook_internal.h"

static _Thread_local int fast_cells;         /* this thread is writing a workbook */
static _Thread_local uint64_t cells_written; /* number cells formatted here */

void wb_numbers_set_fast(int on)
{
    fast_cells = on != 0;
}

uint64_t wb_numbers_written(void)
{
    return cells_written;
}

static const uint64_t pow10_u64[20] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull,
                                       10000000000000000000ull};

/* round(m * 2^e2 * 10^s) to an integer, ties to even (glibc's rounding of an exact tie in the
 * default rounding mode); -128 < e2 < 0, s <= 19, m < 2^53: the product fits 117 bits. */
static uint64_t scaled_round(uint64_t m, int e2, int s)
{
    unsigned __int128 p = (unsigned __int128)m * pow10_u64[s];
    int sh = -e2;
    unsigned __int128 half = (unsigned __int128)1 << (sh - 1);
    unsigned __int128 rem = p & ((half << 1) - 1);
    uint64_t n = (uint64_t)(p >> sh);
    if (rem > half || (rem == half && (n & 1)))
        n++;
    return n;
}

/* The 16 significant digits of a (1e-4 <= a < 1e15) and its decimal exponent. */
static uint64_t digits16(double a, int *exp10)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof(bits));
    uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int e2 = (int)(bits >> 52) - 1075; /* a = m * 2^e2, -67 < e2 < -3 in this range */
    /* floor(log10(a)) from the binary exponent: right or one too small, the loop settles it */
    int e = (((int)(bits >> 52) - 1023) * 78913) >> 18;
    if (e < -4)
        e = -4;
    if (e > 14)
        e = 14;
    for (;;) {
        /* truncated first: tells whether e is right before rounding can carry */
        unsigned __int128 p = (unsigned __int128)m * pow10_u64[15 - e];
        uint64_t t = (uint64_t)(p >> -e2);
        if (t < pow10_u64[15] && e > -4)
            e--;
        else if (t >= pow10_u64[16] && e < 14)
            e++;
        else
            break;
    }
    uint64_t n = scaled_round(m, e2, 15 - e);
    if (n >= pow10_u64[16]) { /* 9.999...95 rounded up to the next power of ten */
        n /= 10;
        e++;
    }
    *exp10 = e;
    return n;
}

size_t wb_format_16g(double v, char *out)
{
    double a = fabs(v);
    char *p = out;
    if (a == 0) {
        if (signbit(v))
            *p++ = '-';
        *p++ = '0';
        return (size_t)(p - out);
    }
    if (!(a >= 1e-4 && a < 1e15))
        return (size_t)snprintf(out, WB_NUMBER_MAX, "%.16G", v);
    int e;
    uint64_t n = digits16(a, &e);
    char d[16];
    for (int i = 15; i >= 0; i--, n /= 10)
        d[i] = (char)('0' + n % 10);
    int last = 15;
    while (last > 0 && d[last] == '0')
        last--;
    if (v < 0)
        *p++ = '-';
    if (e >= 0) { /* e <= 15: the integer part is d[0..e] */
        memcpy(p, d, (size_t)e + 1);
        p += e + 1;
        if (last > e) {
            *p++ = '.';
            memcpy(p, d + e + 1, (size_t)(last - e));
            p += last - e;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int z = 0; z < -e - 1; z++)
            *p++ = '0';
        memcpy(p, d, (size_t)last + 1);
        p += last + 1;
    }
    return (size_t)(p - out);
}

static const char cell_plain[] = "<c r=\"%s\"><v>%.16G</v></c>";
static const char cell_styled[] = "<c r=\"%s\" s=\"%d\"><v>%.16G</v></c>";

static size_t put_int(char *out, int v)
{
    char tmp[12];
    size_t n = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    do
        tmp[n++] = (char)('0' + u % 10);
    while (u /= 10);
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    while (n)
        out[o++] = tmp[--n];
    return o;
}

/* One number cell as libxlsxwriter's fprintf would print it: the bytes written, -1 when the
 * write failed, -2 when the cell reference is too long for the buffer (the caller then prints
 * it the library's way). */
static int write_cell(FILE *fp, const char *ref, int style, int styled, double v)
{
    char buf[128];
    size_t rl = strlen(ref), o = 0;
    if (rl > 32)
        return -2;
    memcpy(buf, "<c r=\"", 6);
    o = 6;
    memcpy(buf + o, ref, rl);
    o += rl;
    buf[o++] = '"';
    if (styled) {
        memcpy(buf + o, " s=\"", 4);
        o += 4;
        o += put_int(buf + o, style);
        buf[o++] = '"';
    }
    memcpy(buf + o, "><v>", 4);
    o += 4;
    o += wb_format_16g(v, buf + o);
    memcpy(buf + o, "</v></c>", 8);
    o += 8;
    return fwrite(buf, 1, o, fp) == o ? (int)o : -1;
}

/* glibc's fortified vfprintf; declared by <stdio.h> only under _FORTIFY_SOURCE */
extern int __vfprintf_chk(FILE *fp, int flag, const char *fmt, va_list ap);

int __fprintf_chk(FILE *fp, int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc;
    int plain = fast_cells && strcmp(fmt, cell_plain) == 0;
    int styled = fast_cells && !plain && strcmp(fmt, cell_styled) == 0;
    if (plain || styled) {
        va_list cp;
        va_copy(cp, ap);
        const char *ref = va_arg(cp, const char *);
        int style = styled ? va_arg(cp, int) : 0;
        double v = va_arg(cp, double);
        va_end(cp);
        rc = write_cell(fp, ref, style, styled, v);
        if (rc != -2) {
            cells_written++;
            va_end(ap);
            return rc;
        }
    }
    rc = __vfprintf_chk(fp, flag, fmt, ap);
    va_end(ap);
    return rc;
}
