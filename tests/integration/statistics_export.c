/*
 * Writes descriptive statistics of generated samples for tests/integration/statistics_check.py:
 * one line per sample, "n x1 ... xn | mean sd median q1 q3 mean_lo mean_hi median_lo
 * median_hi". Samples: ties, NaN, one value, two values, n = 5 (no 95 % median interval),
 * and sizes up to 198 (a fixed LCG: the samples do not depend on libc rand).
 * cmp.txt, one line per pair of groups: "x1 ... | y1 ... | u u_p u_exact t t_df t_p
 * cliff_delta" (exact and asymptotic Mann-Whitney, ties, NaN, groups too small).
 * adjust.txt, one line per family of p-values: "p1 ... | bonferroni ... | holm ...".
 * corr.txt, one line per pair of metrics: "x1 ... | y1 ... | pearson_r pearson_p spearman_r
 * spearman_p" (NaN in either, ties, weak and strong correlation, 2 to 198 pairs).
 * kruskal.txt, one line per set of groups: "g1x1 ... | g2x1 ... | ... | = h df p" (2 to 6
 * groups of 2 to 60 values, ties, NaN, shifted groups).
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

static void put(FILE *f, const double *x, int n)
{
    for (int i = 0; i < n; i++)
        fprintf(f, "%.17g ", x[i]);
    fputs("| ", f);
}

static void emit_cmp(FILE *f, const double *x, int nx, const double *y, int ny)
{
    struct cp_stats_cmp c;
    if (cp_stats_compare(x, (size_t)nx, y, (size_t)ny, &c) != 0)
        return;
    put(f, x, nx);
    put(f, y, ny);
    fprintf(f, "%.17g %.17g %d %.17g %.17g %.17g %.17g\n", c.u, c.u_p, c.u_exact, c.t, c.t_df,
            c.t_p, c.cliff_delta);
}

static double lcg(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (double)(*s >> 8) / 16777216.0;
}

static int write_cmp(const char *folder)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/cmp.txt", folder);
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    static const double a[] = {3, 1, 2}, b[] = {6, NAN, 4, 5}, c[] = {1, 2, 2, 3},
                        d[] = {2, 3, 4, 5}, few[] = {1, NAN, 2};
    emit_cmp(f, a, 3, b, 4);
    emit_cmp(f, c, 4, d, 4);
    emit_cmp(f, few, 3, d, 4);
    double x[120], y[120];
    unsigned s = 11;
    for (int t = 0; t < 60; t++) {
        int nx = 3 + t % 8, ny = 3 + (t * 5) % 8;
        if (t >= 30) {
            nx = 3 + t * 3 % 117;
            ny = 5 + t * 7 % 113;
        }
        double shift = 0.1 * (t % 5), grid = t % 3 == 0 ? 4.0 : 0; /* rounding makes ties */
        for (int i = 0; i < nx; i++)
            x[i] = grid > 0 ? round(lcg(&s) * 10) : lcg(&s) * 1000;
        for (int i = 0; i < ny; i++)
            y[i] = grid > 0 ? round(lcg(&s) * 10 + grid * shift) : (lcg(&s) + shift) * 1000;
        if (t % 7 == 2)
            x[1] = NAN;
        emit_cmp(f, x, nx, y, ny);
    }
    return fclose(f) == 0 ? 0 : 1;
}

static int write_adjust(const char *folder)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/adjust.txt", folder);
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    double p[40], b[40], h[40];
    unsigned s = 5;
    for (int t = 0; t < 40; t++) {
        int n = 1 + t;
        for (int i = 0; i < n; i++) {
            double u = lcg(&s);
            p[i] = u * u * u; /* many small p-values, as in a fleet */
            if (i % 5 == 4)
                p[i] = p[i - 2]; /* ties */
            if (i % 11 == 6)
                p[i] = NAN;
        }
        if (cp_stats_adjust(p, (size_t)n, CP_STATS_BONFERRONI, b) != 0 ||
            cp_stats_adjust(p, (size_t)n, CP_STATS_HOLM, h) != 0)
            return 1;
        put(f, p, n);
        put(f, b, n);
        for (int i = 0; i < n; i++)
            fprintf(f, "%.17g ", h[i]);
        fputc('\n', f);
    }
    return fclose(f) == 0 ? 0 : 1;
}

static int write_corr(const char *folder)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/corr.txt", folder);
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    double x[200], y[200];
    unsigned s = 3;
    for (int t = 0; t < 50; t++) {
        int n = 2 + t * 4;
        double slope = 0.05 * (t % 9) - 0.2;
        for (int i = 0; i < n; i++) {
            x[i] = lcg(&s) * 100;
            y[i] = slope * x[i] + lcg(&s) * 20;
            if (t % 4 == 1) { /* ties */
                x[i] = round(x[i] / 10);
                y[i] = round(y[i] / 5);
            }
            if (i % 13 == 5)
                x[i] = NAN;
            if (i % 17 == 8)
                y[i] = NAN;
        }
        struct cp_stats_corr c;
        if (cp_stats_correlate(x, y, (size_t)n, &c) != 0)
            return 1;
        put(f, x, n);
        put(f, y, n);
        fprintf(f, "%.17g %.17g %.17g %.17g\n", c.pearson_r, c.pearson_p, c.spearman_r,
                c.spearman_p);
    }
    return fclose(f) == 0 ? 0 : 1;
}

static int write_kruskal(const char *folder)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/kruskal.txt", folder);
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    static double v[6][60];
    const double *g[6];
    size_t n[6];
    unsigned s = 9;
    for (int t = 0; t < 40; t++) {
        size_t k = 2 + (size_t)t % 5;
        for (size_t j = 0; j < k; j++) {
            n[j] = 2 + (size_t)(t * 7 + (int)j * 11) % 59;
            for (size_t i = 0; i < n[j]; i++) {
                double x = lcg(&s) * 100 + (double)(j * (size_t)(t % 4)) * 8;
                v[j][i] = t % 3 == 0 ? round(x / 10) : x; /* ties */
                if (i % 9 == 4)
                    v[j][i] = NAN;
            }
            g[j] = v[j];
        }
        struct cp_stats_kw kw;
        if (cp_stats_kruskal(g, n, k, &kw) != 0)
            return 1;
        for (size_t j = 0; j < k; j++)
            put(f, v[j], (int)n[j]);
        fprintf(f, "= %.17g %.17g %.17g\n", kw.h, kw.df, kw.p);
    }
    return fclose(f) == 0 ? 0 : 1;
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
    if (fclose(f) != 0)
        return 1;
    return write_cmp(argv[1]) || write_adjust(argv[1]) || write_corr(argv[1]) ||
           write_kruskal(argv[1]);
}
