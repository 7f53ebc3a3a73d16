/*
 * Shortest round-trip double formatting: see include/cellpipe/dtoa.h.
 *
 * The digits come from Ryu: Ulf Adams, "Ryu: fast float-to-string conversion", PLDI 2018
 * (https://doi.org/10.1145/3192366.3192369). The value and the two ends of its rounding
 * interval are scaled by a 125-bit power of 5 (dtoa_tables.h, generated exactly by
 * gen_dtoa_tables.py), then digits are removed while the interval still holds a shorter
 * decimal. Trailing-zero bookkeeping handles the exact-tie and closed-interval cases.
 *
 * Why not printf: the previous "shortest of %.15g .. %.17g that reads back" cost up to three
 * snprintf and three strtod per value: about 85 % of writing cycles.csv (perf), 210-330 ns
 * a value where this takes 35-50 ns (bench_csv). Why not double-conversion (DESIGN.md's
 * library for this): measured on the 13.0 M numbers of the sample lab's cycles.csv (1,000
 * cells), its ToShortest took 2.2 to 2.7 x as long as this file (275-480 ns against 115-180 ns
 * a value, two cores shared with a test run), and it is C++ only, which would bring the C++
 * runtime into a C11 program for one function. This file is tested against strtod on 10^7
 * values (tests/unit/core/test_dtoa.c).
 */
#include <string.h>

#include "cellpipe/dtoa.h"
#include "dtoa_tables.h"

#define MANTISSA_BITS 52
#define EXPONENT_BIAS 1023

typedef unsigned __int128 u128;

/* ceil(log2(5^e)) for 0 < e < 3529 (1 for e = 0), by a fixed-point log2(5). */
static int pow5bits(int e)
{
    return (int)(((uint32_t)e * 1217359u) >> 19) + 1;
}

/* floor(log10(2^e)) and floor(log10(5^e)) for 0 <= e <= 1650. */
static uint32_t log10_pow2(int e)
{
    return ((uint32_t)e * 78913u) >> 18;
}

static uint32_t log10_pow5(int e)
{
    return ((uint32_t)e * 732923u) >> 20;
}

static int pow5_factor(uint64_t v)
{
    int n = 0;
    while (v % 5 == 0) {
        v /= 5;
        n++;
    }
    return n;
}

static int multiple_of_pow5(uint64_t v, uint32_t p)
{
    return pow5_factor(v) >= (int)p;
}

static int multiple_of_pow2(uint64_t v, uint32_t p)
{
    return (v & ((1ull << p) - 1)) == 0;
}

/* (m * mul) >> j, mul a 128-bit table entry, 64 < j; the result fits 64 bits. */
static uint64_t mul_shift(uint64_t m, const uint64_t *mul, int j)
{
    u128 lo = (u128)m * mul[0];
    u128 hi = (u128)m * mul[1];
    return (uint64_t)(((lo >> 64) + hi) >> (j - 64));
}

struct interval {
    uint64_t vr, vp, vm; /* the value and the ends of its interval, scaled to base 10 */
    int e10;
    int vm_zeros, vr_zeros; /* were the digits dropped by the scaling all zero? */
};

/* Step 3 of the paper for e2 >= 0: multiply by 2^e2 / 10^q. */
static void scale_pos(uint64_t m2, int e2, uint32_t mm_shift, int even, struct interval *iv)
{
    uint64_t mv = 4 * m2;
    uint32_t q = log10_pow2(e2) - (e2 > 3);
    int k = DTOA_POW5_INV_BITS + pow5bits((int)q) - 1;
    int i = -e2 + (int)q + k;
    iv->e10 = (int)q;
    iv->vr = mul_shift(mv, dtoa_pow5_inv[q], i);
    iv->vp = mul_shift(mv + 2, dtoa_pow5_inv[q], i);
    iv->vm = mul_shift(mv - 1 - mm_shift, dtoa_pow5_inv[q], i);
    if (q > 21) /* the paper's bound: no dropped digits can all be zero for larger q */
        return;
    if (mv % 5 == 0)
        iv->vr_zeros = multiple_of_pow5(mv, q);
    else if (even)
        iv->vm_zeros = multiple_of_pow5(mv - 1 - mm_shift, q);
    else
        iv->vp -= (uint64_t)multiple_of_pow5(mv + 2, q);
}

/* The same for e2 < 0: multiply by 5^-e2 / 10^q. */
static void scale_neg(uint64_t m2, int e2, uint32_t mm_shift, int even, struct interval *iv)
{
    uint64_t mv = 4 * m2;
    uint32_t q = log10_pow5(-e2) - (-e2 > 1);
    int i = -e2 - (int)q;
    int k = pow5bits(i) - DTOA_POW5_BITS;
    int j = (int)q - k;
    iv->e10 = (int)q + e2;
    iv->vr = mul_shift(mv, dtoa_pow5[i], j);
    iv->vp = mul_shift(mv + 2, dtoa_pow5[i], j);
    iv->vm = mul_shift(mv - 1 - mm_shift, dtoa_pow5[i], j);
    if (q <= 1) {
        /* mv = 4 m2 has two trailing zero bits; mm has one exactly when mm_shift is 1 */
        iv->vr_zeros = 1;
        if (even)
            iv->vm_zeros = mm_shift == 1;
        else
            iv->vp--;
    } else if (q < 63) {
        iv->vr_zeros = multiple_of_pow2(mv, q);
    }
}

/* Drop the last digit of the interval; `last` becomes the digit of vr dropped. */
static void drop_digit(struct interval *iv, unsigned *last, int *removed)
{
    iv->vr_zeros &= *last == 0;
    *last = (unsigned)(iv->vr % 10);
    iv->vr /= 10;
    iv->vp /= 10;
    iv->vm /= 10;
    ++*removed;
}

/* Step 4, the rare general case: some dropped digits may be exact zeros (ties, bounds). */
static uint64_t shorten_exact(struct interval *iv, int even, int *removed)
{
    unsigned last = 0;
    while (iv->vp / 10 > iv->vm / 10) {
        iv->vm_zeros &= iv->vm % 10 == 0;
        drop_digit(iv, &last, removed);
    }
    if (iv->vm_zeros)
        while (iv->vm % 10 == 0)
            drop_digit(iv, &last, removed);
    if (iv->vr_zeros && last == 5 && iv->vr % 2 == 0)
        last = 4; /* exactly ...50..0: round half to even */
    return iv->vr + ((iv->vr == iv->vm && (!even || !iv->vm_zeros)) || last >= 5);
}

/* Step 4, the common case (no exact zeros to track): the rounding only needs the leading
 * removed digit, so digits can go four and two at a time (measured values have few digits). */
static uint64_t shorten_fast(struct interval *iv, int *removed)
{
    int round_up = 0;
    while (iv->vp / 10000 > iv->vm / 10000) {
        round_up = iv->vr % 10000 >= 5000;
        iv->vr /= 10000;
        iv->vp /= 10000;
        iv->vm /= 10000;
        *removed += 4;
    }
    if (iv->vp / 100 > iv->vm / 100) {
        round_up = iv->vr % 100 >= 50;
        iv->vr /= 100;
        iv->vp /= 100;
        iv->vm /= 100;
        *removed += 2;
    }
    if (iv->vp / 10 > iv->vm / 10) {
        round_up = iv->vr % 10 >= 5;
        iv->vr /= 10;
        iv->vp /= 10;
        iv->vm /= 10;
        ++*removed;
    }
    return iv->vr + (iv->vr == iv->vm || round_up);
}

static const uint64_t pow10_table[20] = {1ull,
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

/* Decimal digits of v > 0: from its bit length (log10(2) ~ 1233 / 4096), then one compare,
 * instead of a chain of divisions (which perf showed as a third of this file's time). */
static int count_digits(uint64_t v)
{
    int bits = 64 - __builtin_clzll(v | 1);
    int n = (bits * 1233) >> 12;
    return n + 1 - (v < pow10_table[n]); /* n <= 19: the table has every index */
}

/* Integers below 2^53 are exact: their own digits (trailing zeros moved to the exponent) are
 * the shortest, and this skips the 128-bit work for counts and indices. */
static int small_integer(uint64_t m2, int e2, uint64_t *digits, int *exp10)
{
    if (e2 > 0 || e2 < -MANTISSA_BITS)
        return 0;
    uint64_t frac = m2 & ((1ull << -e2) - 1);
    if (frac)
        return 0;
    uint64_t d = m2 >> -e2;
    int e = 0;
    while (d % 10 == 0) {
        d /= 10;
        e++;
    }
    *digits = d;
    *exp10 = e;
    return count_digits(d);
}

int cp_dtoa_shortest(double v, uint64_t *digits, int *exp10)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint64_t mant = bits & ((1ull << MANTISSA_BITS) - 1);
    int bexp = (int)((bits >> MANTISSA_BITS) & 0x7ff);
    uint64_t m2 = bexp ? mant | (1ull << MANTISSA_BITS) : mant;
    int e2 = (bexp ? bexp : 1) - EXPONENT_BIAS - MANTISSA_BITS;
    int n = small_integer(m2, e2, digits, exp10);
    if (n)
        return n;
    /* the interval is [mv - 1 - mm_shift, mv + 2] in units of 2^(e2 - 2); it is narrower below
     * a power of two (mm_shift = 0) */
    int even = (m2 & 1) == 0;
    uint32_t mm_shift = mant != 0 || bexp <= 1;
    struct interval iv = {0};
    e2 -= 2;
    if (e2 >= 0)
        scale_pos(m2, e2, mm_shift, even, &iv);
    else
        scale_neg(m2, e2, mm_shift, even, &iv);
    int removed = 0;
    uint64_t out = iv.vm_zeros || iv.vr_zeros ? shorten_exact(&iv, even, &removed)
                                              : shorten_fast(&iv, &removed);
    int e = iv.e10 + removed;
    while (out % 10 == 0) { /* the shortest need not drop every zero (closest wins) */
        out /= 10;
        e++;
    }
    *digits = out;
    *exp10 = e;
    return count_digits(out);
}

static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
                                  "25262728293031323334353637383940414243444546474849"
                                  "50515253545556575859606162636465666768697071727374"
                                  "75767778798081828384858687888990919293949596979899";

/* Exactly 8 digits of v < 10^8: four independent pairs. */
static void put8(char *p, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v % 10000;
    memcpy(p, digit_pairs + 2 * (hi / 100), 2);
    memcpy(p + 2, digit_pairs + 2 * (hi % 100), 2);
    memcpy(p + 4, digit_pairs + 2 * (lo / 100), 2);
    memcpy(p + 6, digit_pairs + 2 * (lo % 100), 2);
}

/* Write the n digits of d into out, most significant first: eight at a time in 32 bits, so
 * the divisions do not form one long chain (perf: the digit loop was most of the layout). */
static void put_digits(uint64_t d, int n, char *out)
{
    int i = n;
    while (d >= 100000000) {
        put8(out + i - 8, (uint32_t)(d % 100000000));
        d /= 100000000;
        i -= 8;
    }
    uint32_t s = (uint32_t)d;
    while (i >= 2) {
        memcpy(out + i - 2, digit_pairs + 2 * (s % 100), 2);
        s /= 100;
        i -= 2;
    }
    if (i)
        out[0] = (char)('0' + s);
}

/* The layout rules of dtoa.h: what %.Pg (P = 15..17) and the old short-decimal path wrote. */
static int plain_notation(int x, int n)
{
    int p = n > 15 ? n : 15;
    return (x >= -4 && x < p) || (x == -5 && n <= 5) || (x == -6 && n <= 4);
}

/* The copies below move a fixed DIGS bytes whatever the digit count: the compiler inlines a
 * constant-size memcpy, a variable one is a libc call (perf: 5 % of writing cycles.csv).
 * dig[] holds 2 * DIGS bytes and out[] CP_DTOA_BUFSIZE >= 2 * DIGS + 8, so all stay inside. */
#define DIGS 17

static size_t format_plain(const char *dig, int n, int x, char *out)
{
    if (x < 0) { /* x >= -6: at most five zeros after "0." */
        memcpy(out, "0.00000", 7);
        memcpy(out + 1 - x, dig, DIGS);
        return (size_t)(1 - x + n);
    }
    memcpy(out, dig, DIGS);
    if (x >= n - 1) { /* an integer: x < 17, so the zeros fit in the DIGS copied bytes */
        memset(out + n, '0', (size_t)(x - n + 1));
        return (size_t)x + 1;
    }
    out[x + 1] = '.';
    memcpy(out + x + 2, dig + x + 1, DIGS);
    return (size_t)n + 1;
}

static size_t format_exponent(const char *dig, int n, int x, char *out)
{
    size_t o = 1;
    out[0] = dig[0];
    if (n > 1) {
        out[1] = '.';
        memcpy(out + 2, dig + 1, DIGS);
        o = (size_t)n + 1;
    }
    out[o++] = 'e';
    out[o++] = x < 0 ? '-' : '+';
    int a = x < 0 ? -x : x;
    if (a >= 100)
        out[o++] = (char)('0' + a / 100);
    out[o++] = (char)('0' + a / 10 % 10);
    out[o++] = (char)('0' + a % 10);
    return o;
}

size_t cp_dtoa_format(double v, char *out)
{
    if (v != v)
        return 0;
    if (v == 0) {
        out[0] = '0';
        return 1;
    }
    size_t o = 0;
    if (v < 0) {
        out[o++] = '-';
        v = -v;
    }
    if (v > 1.7976931348623157e308) {
        memcpy(out + o, "inf", 3);
        return o + 3;
    }
    uint64_t d;
    int e;
    char dig[2 * DIGS];
    int n = cp_dtoa_shortest(v, &d, &e);
    put_digits(d, n, dig);
    int x = e + n - 1;
    return o + (plain_notation(x, n) ? format_plain(dig, n, x, out + o)
                                     : format_exponent(dig, n, x, out + o));
}

size_t cp_dtoa_format_i64(int64_t v, char *out)
{
    char tmp[20];
    /* through uint64_t so that INT64_MIN negates without overflow */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    while (n)
        out[o++] = tmp[--n];
    return o;
}
