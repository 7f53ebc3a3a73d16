/*
 * Fleet statistics on 1,000 cells x 10 metrics x 6 groups (issue #18: all statistics under
 * 100 ms): the whole set the statistics stage computes (cp_statistics_compute: descriptive
 * statistics with both intervals per group and metric, 15 pairs x 10 metrics of Mann-Whitney,
 * Welch and Cliff's delta, one Holm family, Kruskal-Wallis per metric, 45 correlations,
 * Kaplan-Meier per group, log-rank of all groups and of every pair), then the tidy table and
 * the sentences. Prints the best of 5 wall times.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "cellpipe/error.h"
#include "cellpipe/statistics.h"
#include "cellpipe/table.h"

#define CELLS 1000
#define METRICS 10
#define GROUPS 6

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static unsigned long long rng = 88172645463325252ULL;

static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double metric[METRICS][CELLS], tm[CELLS];
static int event[CELLS];
static const char *group[CELLS];

static void fill(void)
{
    static const char *const names[GROUPS] = {"A", "B", "C", "D", "E", "F"};
    for (int i = 0; i < CELLS; i++) {
        int g = i % GROUPS;
        double life = (600 + 60 * g) * pow(-log(uniform()), 0.25);
        double follow = 300 + 1200 * uniform();
        group[i] = names[g];
        event[i] = life <= follow;
        tm[i] = floor(event[i] ? life : follow);
        for (int m = 0; m < METRICS; m++) /* quantised, so the ranks have ties */
            metric[m][i] = uniform() < 0.02 ? NAN : floor(1000 * (g * 0.05 + uniform())) / 1000;
    }
}

static int once(const struct cp_statistics_input *in, size_t *nrows, size_t *nfind)
{
    struct cp_statistics s;
    struct cp_error err = {0};
    char **lines;
    if (cp_statistics_compute(in, &s, &err) != 0)
        return 1;
    struct cp_table *t = cp_statistics_table(&s);
    int rc = !t || cp_statistics_findings(&s, 0, &lines, nfind) != 0;
    if (t)
        *nrows = t->nrows;
    if (!rc)
        cp_statistics_lines_free(lines, *nfind);
    cp_table_free(t);
    cp_statistics_release(&s);
    return rc;
}

int main(void)
{
    static const char *const names[METRICS] = {"m0", "m1", "m2", "m3", "m4",
                                               "m5", "m6", "m7", "m8", "m9"};
    const double *cols[METRICS];
    fill();
    for (int m = 0; m < METRICS; m++)
        cols[m] = metric[m];
    struct cp_statistics_input in = {.ncells = CELLS,
                                     .group = group,
                                     .nmetrics = METRICS,
                                     .metric_names = names,
                                     .metric = cols,
                                     .time = tm,
                                     .event = event,
                                     .alpha = 0.05,
                                     .level = 0.95,
                                     .correction = CP_STATS_HOLM};
    double best = INFINITY;
    size_t nrows = 0, nfind = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_s();
        if (once(&in, &nrows, &nfind))
            return 1;
        double dt = now_s() - t0;
        best = dt < best ? dt : best;
    }
    printf("statistics (the whole stage: descriptive, comparisons, Holm, Kruskal-Wallis, "
           "correlations, Kaplan-Meier, log-rank, table, findings): %d cells x %d metrics x %d "
           "groups: %.2f ms best of 5 (goal < 100 ms); %zu table rows, %zu significant\n",
           CELLS, METRICS, GROUPS, 1e3 * best, nrows, nfind);
    return 0;
}
