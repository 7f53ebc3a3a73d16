/* The fast path of decimal number parsing (contract in include/cellpipe/decimal.h). */
#include <stdint.h>

#include "cellpipe/decimal.h"

/* An exponent "e[+-]digits" at *p into *exp (at most 4 digits, more go to strtod). 0 or -1. */
static int fast_exponent(const char **p, int *exp)
{
    const char *q = *p + 1;
    int neg = *q == '-', e = 0, d = 0;
    if (*q == '-' || *q == '+')
        q++;
    for (; *q >= '0' && *q <= '9'; q++)
        if (++d <= 4)
            e = e * 10 + (*q - '0');
    if (d == 0 || d > 4)
        return -1;
    *exp = neg ? -e : e;
    *p = q;
    return 0;
}

/*
 * Clinger's fast path: "[-]digits[.digits][e[-]digits]" with at most 15 significant digits
 * is mantissa * or / 10^k with k <= 22 and both exact doubles, so one multiplication or
 * division gives the correctly rounded value, the same bits strtod returns. Measured: strtod
 * was a third of the parse time (perf, Battery Archive time series) and most of BioLogic's,
 * whose exports write every value with an exponent, and about 45 % of the Battery Archive
 * per-cycle reader's (on the CSV reader); anything else (long mantissas, larger powers of
 * ten) still goes to strtod.
 */
int cp_decimal_fast(const char *s, int comma, double *out, const char **end)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = s;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    uint64_t m = 0;
    int digits = 0, frac = 0, any = 0, exp = 0;
    while (*p == '0' && p[1] >= '0' && p[1] <= '9') /* leading zeros are not significant */
        p++;
    for (; *p >= '0' && *p <= '9'; p++, any = 1)
        if (++digits <= 15)
            m = m * 10 + (uint64_t)(*p - '0');
    if (*p == '.' || (comma && *p == ',')) {
        p++;
        if (digits == 0) /* "0.000123": zeros before the first digit are not significant */
            for (; *p == '0'; p++, any = 1)
                frac++;
        for (; *p >= '0' && *p <= '9'; p++, any = 1) {
            if (++digits > 15)
                return -1;
            m = m * 10 + (uint64_t)(*p - '0');
            frac++;
        }
    }
    if (!any || digits > 15 || ((*p == 'e' || *p == 'E') && fast_exponent(&p, &exp) < 0))
        return -1;
    int k = exp - frac; /* the value is m * 10^k */
    if (k < -22 || k > 22)
        return -1;
    double v = k < 0 ? (double)m / pow10[-k] : (double)m * pow10[k]; /* k = 0: exact */
    *out = neg ? -v : v;
    *end = p;
    return 0;
}
