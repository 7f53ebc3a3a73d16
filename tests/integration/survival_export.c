/*
 * Writes Kaplan-Meier estimates and log-rank tests of generated cycle lives for
 * tests/integration/survival.py. One line per set of groups in logrank.txt:
 * "t1 ... | e1 ... | g1 ... | status n k chi2 df p". One line per group of those sets in km.txt:
 * "t1 ... | e1 ... | status n events median median_lo median_hi | t at_risk events censored s
 * var lo hi ; ..." (one ";"-separated step per distinct time).
 * Sets: ties of event times, censoring at the time of an event, a group all censored, a group
 * censored before every event (the variance matrix singular), only one group at risk at the
 * event times (chi2 NaN), one-cell groups, NaN times, and
 * 2 to 6 groups of 3 to 200 cells with Weibull lives and random censoring (a fixed LCG: the
 * samples do not depend on libc rand).
 */
#include <math.h>
#include <stdio.h>

#include "cellpipe/stats.h"

#define MAXN 1200

static double lcg(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return ((double)(*s >> 8) + 0.5) / 16777216.0;
}

static void put_cells(FILE *f, const double *t, const int *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%.17g ", t[i]);
    fputs("| ", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%d ", e[i]);
    fputs("| ", f);
}

static int emit_km(FILE *f, const double *t, const int *e, size_t n)
{
    struct cp_stats_km km;
    if (cp_stats_km(t, e, n, 0.95, &km) != 0)
        return 1;
    put_cells(f, t, e, n);
    fprintf(f, "%d %zu %zu %.17g %.17g %.17g |", km.status, km.n, km.events, km.median,
            km.median_lo, km.median_hi);
    for (size_t i = 0; i < km.nsteps; i++) {
        const struct cp_stats_km_step *st = &km.steps[i];
        fprintf(f, "%s %.17g %zu %zu %zu %.17g %.17g %.17g %.17g", i ? " ;" : "", st->t,
                st->at_risk, st->events, st->censored, st->s, st->var, st->lo, st->hi);
    }
    fputc('\n', f);
    cp_stats_km_release(&km);
    return 0;
}

/* One set of k groups: the log-rank line, and a Kaplan-Meier line per group. */
static int emit_set(FILE *lr, FILE *kmf, const double *t, const int *e, const size_t *g, size_t n,
                    size_t k)
{
    struct cp_stats_logrank r;
    if (cp_stats_logrank(t, e, g, n, k, &r) != 0)
        return 1;
    put_cells(lr, t, e, n);
    for (size_t i = 0; i < n; i++)
        fprintf(lr, "%zu ", g[i]);
    fprintf(lr, "| %d %zu %zu %.17g %.17g %.17g\n", r.status, r.n, r.k, r.chi2, r.df, r.p);
    static double tg[MAXN];
    static int eg[MAXN];
    for (size_t j = 0; j < k; j++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (g[i] == j) {
                tg[m] = t[i];
                eg[m++] = e[i];
            }
        if (emit_km(kmf, tg, eg, m) != 0)
            return 1;
    }
    return 0;
}

/* Hand-made sets: ties, censoring at an event time, all censored, singular, one cell, NaN. */
static int fixed_sets(FILE *lr, FILE *km)
{
    static const double t1[] = {2, 4, 4, 6, 8, 9, 3, 5, 7, 10, 11, 12};
    static const int e1[] = {1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0};
    static const size_t g1[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
    static const double t2[] = {5, 5, 5, 7, 7, 9, 5, 5, 6, 7, 7, 7, 3, 9, 9, 9};
    static const int e2[] = {1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0};
    static const size_t g2[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2};
    static const double t3[] = {10, 11, 12, 1, 1, 2, 13, 14, 15};
    static const int e3[] = {1, 1, 1, 0, 0, 0, 1, 1, 0};
    static const size_t g3[] = {0, 0, 0, 1, 1, 1, 2, 2, 2};
    static const double t4[] = {10, 11, 12, 13, 14, 15, 1, 1, 2};
    static const int e4[] = {1, 1, 1, 1, 1, 0, 0, 0, 0};
    static const double t5[] = {100, NAN, 300, 250, 400, NAN, 180, 220, 800, 810};
    static const int e5[] = {1, 1, 0, 1, 1, 0, 1, 0, 1, 1};
    static const size_t g5[] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 3};
    static const double t6[] = {4, 4, 4, 4, 4, 4};
    static const int e6[] = {1, 1, 0, 1, 1, 1};
    static const size_t g6[] = {0, 1, 0, 1, 0, 1};
    static const int none[] = {0, 0, 0, 0, 0, 0};
    static const double t7[] = {10, 11, 12, 1, 1, 2, 1, 2, 3}; /* one group at risk at events */
    static const int e7[] = {1, 1, 1, 0, 0, 0, 0, 0, 0};
    return emit_set(lr, km, t1, e1, g1, 12, 2) || emit_set(lr, km, t2, e2, g2, 16, 3) ||
           emit_set(lr, km, t3, e3, g3, 9, 3) || emit_set(lr, km, t4, e3, g3, 9, 3) ||
           emit_set(lr, km, t4, e4, g3, 9, 3) || emit_set(lr, km, t5, e5, g5, 10, 4) ||
           emit_set(lr, km, t6, e6, g6, 6, 2) || emit_set(lr, km, t6, none, g6, 6, 2) ||
           emit_set(lr, km, t7, e7, g3, 9, 3) || emit_set(lr, km, t5, e5, g5, 1, 1);
}

/* Weibull lives (shape 1.5 to 4, scale by group), censored at a uniform time for about a third
 * of the cells; every third set rounded to 50 cycles (ties of events and censorings). */
static int random_sets(FILE *lr, FILE *km)
{
    static double t[MAXN];
    static int e[MAXN];
    static size_t g[MAXN];
    unsigned s = 2024;
    for (int set = 0; set < 60; set++) {
        size_t k = 2 + (size_t)set % 5, n = 0;
        double shape = 1.5 + 0.5 * (set % 6);
        for (size_t j = 0; j < k; j++) {
            size_t nj = 3 + (size_t)(set * 37 + (int)j * 53) % 198;
            double scale = 1000.0 * (1.0 + 0.1 * (double)(j * (size_t)(set % 3)));
            for (size_t i = 0; i < nj; i++, n++) {
                double life = scale * pow(-log(lcg(&s)), 1.0 / shape);
                double stop = lcg(&s) < 0.35 ? lcg(&s) * 2000.0 : INFINITY;
                t[n] = fmin(life, stop);
                e[n] = life <= stop;
                if (set % 3 == 0)
                    t[n] = 50.0 * round(t[n] / 50.0);
                if ((n * 7 + (size_t)set) % 41 == 5)
                    t[n] = NAN;
                g[n] = j;
            }
        }
        if (emit_set(lr, km, t, e, g, n, k) != 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/logrank.txt", argv[1]);
    snprintf(p2, sizeof p2, "%s/km.txt", argv[1]);
    FILE *lr = fopen(p1, "w"), *km = fopen(p2, "w");
    int rc = !lr || !km || fixed_sets(lr, km) || random_sets(lr, km);
    if (lr && fclose(lr) != 0)
        rc = 1;
    if (km && fclose(km) != 0)
        rc = 1;
    return rc;
}
