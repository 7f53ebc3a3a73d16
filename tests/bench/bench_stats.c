/*
 * Fleet statistics on 1,000 cells x 10 metrics x 6 groups (issue #18: all statistics under
 * 100 ms). It times what exists: per metric, descriptive statistics with both intervals of
 * every group, the 15 two-group comparisons with Holm over their Mann-Whitney p-values and
 * Kruskal-Wallis over the 6 groups; and the 45 Pearson/Spearman correlations of metric pairs
 * over all cells. Prints the best of 5 wall times. Then Kaplan-Meier of every group and the
 * log-rank test of the 6 groups on 1,000 censored cycle lives, best of 5 as well.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "cellpipe/stats.h"

#define CELLS 1000
#define METRICS 10
#define GROUPS 6

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_all(double v[METRICS][GROUPS][CELLS], const size_t *n, double *sink)
{
    for (int m = 0; m < METRICS; m++) {
        double p[GROUPS * GROUPS];
        size_t k = 0;
        for (int a = 0; a < GROUPS; a++)
            for (int b = a + 1; b < GROUPS; b++) {
                struct cp_stats_cmp c;
                if (cp_stats_compare(v[m][a], n[a], v[m][b], n[b], &c) != 0)
                    return 1;
                p[k++] = c.u_p;
                *sink += c.cliff_delta;
            }
        if (cp_stats_adjust(p, k, CP_STATS_HOLM, p) != 0)
            return 1;
        const double *g[GROUPS];
        for (int a = 0; a < GROUPS; a++)
            g[a] = v[m][a];
        struct cp_stats_kw kw;
        if (cp_stats_kruskal(g, n, GROUPS, &kw) != 0)
            return 1;
        *sink += p[0] + kw.h;
    }
    return 0;
}

static int correlate_all(double flat[METRICS][CELLS], double *sink)
{
    for (int a = 0; a < METRICS; a++)
        for (int b = a + 1; b < METRICS; b++) {
            struct cp_stats_corr c;
            if (cp_stats_correlate(flat[a], flat[b], CELLS, &c) != 0)
                return 1;
            *sink += c.spearman_r;
        }
    return 0;
}

/* Weibull lives (shape 2, scale growing by group), a third censored at a uniform time. */
static int survival(double *best, double *sink)
{
    static double t[CELLS], tg[GROUPS][CELLS];
    static int e[CELLS], eg[GROUPS][CELLS];
    static size_t g[CELLS], n[GROUPS];
    unsigned s = 777;
    for (int c = 0; c < CELLS; c++) {
        s = s * 1664525u + 1013904223u;
        double u = ((double)(s >> 8) + 0.5) / 16777216.0;
        s = s * 1664525u + 1013904223u;
        double stop = (s >> 8) % 3 == 0 ? (double)(s >> 12) / 1048576.0 * 3000.0 : INFINITY;
        double life = (800.0 + 50.0 * (c % GROUPS)) * sqrt(-log(u));
        t[c] = fmin(life, stop);
        e[c] = life <= stop;
        g[c] = (size_t)(c % GROUPS);
        tg[g[c]][n[g[c]]] = t[c];
        eg[g[c]][n[g[c]]++] = e[c];
    }
    *best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s();
        for (int j = 0; j < GROUPS; j++) {
            struct cp_stats_km km;
            if (cp_stats_km(tg[j], eg[j], n[j], 0.95, &km) != 0)
                return 1;
            *sink += km.median + (double)km.nsteps;
            cp_stats_km_release(&km);
        }
        struct cp_stats_logrank lr;
        if (cp_stats_logrank(t, e, g, CELLS, GROUPS, &lr) != 0)
            return 1;
        *sink += lr.chi2;
        double dt = now_s() - t0;
        if (dt < *best)
            *best = dt;
    }
    return 0;
}

int main(void)
{
    static double v[METRICS][GROUPS][CELLS];
    size_t n[GROUPS] = {0};
    unsigned s = 12345;
    for (int c = 0; c < CELLS; c++) {
        int g = c % GROUPS;
        for (int m = 0; m < METRICS; m++) {
            s = s * 1664525u + 1013904223u;
            v[m][g][n[g]] = 500.0 + 100.0 * g + (double)(s >> 8) / 16777216.0 * 300.0;
        }
        n[g]++;
    }
    static double flat[METRICS][CELLS];
    for (int m = 0; m < METRICS; m++)
        for (int c = 0; c < CELLS; c++)
            flat[m][c] = v[m][c % GROUPS][c / GROUPS];
    double best = 1e9, sink = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s();
        for (int m = 0; m < METRICS; m++)
            for (int g = 0; g < GROUPS; g++) {
                struct cp_stats_desc d;
                if (cp_stats_describe(v[m][g], n[g], 0.95, &d) != 0)
                    return 1;
                sink += d.median_lo;
            }
        if (compare_all(v, n, &sink) != 0 || correlate_all(flat, &sink) != 0)
            return 1;
        double dt = now_s() - t0;
        if (dt < best)
            best = dt;
    }
    printf("statistics (descriptive, comparisons, Holm, Kruskal-Wallis, correlations): %d cells x "
           "%d metrics x %d groups: %.3f ms "
           "(best of 5; checksum %.0f)\n",
           CELLS, METRICS, GROUPS, 1e3 * best, sink);
    double surv_best, surv_sink = 0;
    if (survival(&surv_best, &surv_sink) != 0)
        return 1;
    printf("survival (Kaplan-Meier of every group, log-rank): %d cells x %d groups: %.3f ms "
           "(best of 5; checksum %.0f)\n",
           CELLS, GROUPS, 1e3 * surv_best, surv_sink);
    return 0;
}
