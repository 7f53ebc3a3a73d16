/*
 * Writes descriptive statistics of generated samples for tests/integration/statistics.py:
 * one line per sample, "n x1 ... xn | mean sd median q1 q3 mean_lo mean_hi median_lo
 * median_hi". Samples: ties, NaN, one value, two values, n = 5 (no 95 % median interval),
 * and sizes up to 198 (a fixed LCG: the samples do not depend on libc rand).
 */
#include <math.h>
#include <stdio.h>

#include "cellpipe/stats.h"

static void emit(FILE *f, const double *x, int n)
{
    struct cp_stats_desc d;
    if (cp_stats_describe(x, (size_t)n, 0.95, &d) != 0)
        return;
    fprintf(f, "%d", n);
    for (int i = 0; i < n; i++)
        fprintf(f, " %.17g", x[i]);
    fprintf(f, " | %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", d.mean, d.sd, d.median,
            d.q1, d.q3, d.mean_lo, d.mean_hi, d.median_lo, d.median_hi);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/desc.txt", argv[1]);
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    static const double ties[] = {3, 3, 3, 1, 1, 2, 5, 5, 5, 5, 8, 8};
    static const double with_nan[] = {1120, NAN, 760, 980, NAN, 1010, 890};
    static const double one[] = {42}, two[] = {700, 900}, five[] = {5, 1, 4, 2, 3};
    emit(f, ties, 12);
    emit(f, with_nan, 7);
    emit(f, one, 1);
    emit(f, two, 2);
    emit(f, five, 5);
    double x[200];
    unsigned s = 7;
    for (int t = 0; t < 50; t++) {
        int n = 2 + t * 4;
        for (int i = 0; i < n; i++) {
            s = s * 1664525u + 1013904223u;
            x[i] = (double)(s >> 8) / 16777216.0 * 1500.0;
            if (i % 7 == 3)
                x[i] = x[i - 1]; /* ties */
        }
        emit(f, x, n);
    }
    return fclose(f) == 0 ? 0 : 1;
}
