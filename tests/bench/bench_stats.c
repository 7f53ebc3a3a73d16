/*
 * Fleet statistics on 1,000 cells x 10 metrics x 6 groups (issue #18: all statistics under
 * 100 ms). Today it times the part that exists: descriptive statistics with both intervals of
 * every group and metric. Prints the best of 5 wall times.
 */
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
        double dt = now_s() - t0;
        if (dt < best)
            best = dt;
    }
    printf("statistics (descriptive only): %d cells x %d metrics x %d groups: %.3f ms "
           "(best of 5; checksum %.0f)\n",
           CELLS, METRICS, GROUPS, 1e3 * best, sink);
    return 0;
}
