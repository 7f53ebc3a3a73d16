#ifndef CELLPIPE_TEST_NUMGEN_H
#define CELLPIPE_TEST_NUMGEN_H
/*
 * Random decimal strings of the shapes cyclers write, for comparing a number parser with
 * strtod: an optional sign ('-' or '+'), 0 to 20 integer digits (leading zeros too), an
 * optional separator with 0 to 20 fraction digits ("0.000123", "5.", ".5"), an optional
 * exponent (e or E, optional sign, 1 to 5 digits), sometimes what printf writes for a random
 * double ("%.*f", "%.*E", "%.17g"). Deterministic (xorshift64*, seeded by the caller).
 */
#include <stdint.h>
#include <stdio.h>

static uint64_t numgen_state = 88172645463325252ULL;

static inline void numgen_seed(uint64_t seed)
{
    numgen_state = seed ? seed : 88172645463325252ULL;
}

static inline uint64_t numgen_next(void)
{
    numgen_state ^= numgen_state >> 12;
    numgen_state ^= numgen_state << 25;
    numgen_state ^= numgen_state >> 27;
    return numgen_state * 2685821657736338717ULL;
}

static inline int numgen_below(int n)
{
    return (int)(numgen_next() % (uint64_t)n);
}

/* n random digits at p; the first non-zero when `lead` is 0 and n > 1 often enough. */
static inline char *numgen_digits(char *p, int n, int zeros)
{
    for (int i = 0; i < n; i++)
        *p++ = (char)('0' + (zeros && i < n / 2 ? 0 : numgen_below(10)));
    return p;
}

/* A printf-made number: the exports' own writers. */
static inline void numgen_printf(char *buf, size_t cap)
{
    double x =
        ((double)(numgen_next() >> 11) / 9007199254740992.0 - 0.5) * pow(10, numgen_below(40) - 20);
    switch (numgen_below(3)) {
    case 0:
        snprintf(buf, cap, "%.*f", numgen_below(16), x);
        break;
    case 1:
        snprintf(buf, cap, numgen_below(2) ? "%.*E" : "%.*e", numgen_below(17), x);
        break;
    default:
        snprintf(buf, cap, "%.17g", x);
    }
}

/* A random number string with `sep` as decimal separator into buf (at least 64 bytes). */
static inline void numgen_string(char *buf, size_t cap, char sep)
{
    if (numgen_below(4) == 0) {
        numgen_printf(buf, cap);
        for (char *q = buf; *q; q++)
            if (*q == '.')
                *q = sep;
        return;
    }
    char *p = buf;
    int s = numgen_below(4);
    if (s == 1)
        *p++ = '-';
    else if (s == 2)
        *p++ = '+';
    int zeros = numgen_below(5) == 0;
    p = numgen_digits(p, numgen_below(4) == 0 ? numgen_below(21) : numgen_below(7), zeros);
    if (numgen_below(4) != 0) {
        *p++ = sep;
        p = numgen_digits(p, numgen_below(4) == 0 ? numgen_below(21) : numgen_below(9),
                          numgen_below(3) == 0);
    }
    if (numgen_below(3) == 0) {
        *p++ = numgen_below(2) ? 'e' : 'E';
        int es = numgen_below(3);
        if (es)
            *p++ = es == 1 ? '-' : '+';
        p = numgen_digits(p, 1 + numgen_below(numgen_below(4) == 0 ? 5 : 3), 0);
    }
    *p = '\0';
}

#endif
