/* Pearson and Spearman against values worked by hand (n = 4: the null of r is uniform). */
#include <math.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/stats.h"
#include "harness.h"

TEST(four_pairs)
{
    double x[] = {1, 2, NAN, 3, 4}, y[] = {1, 3, 7, 2, 4};
    struct cp_stats_corr c;
    CHECK_INT(cp_stats_correlate(x, y, 5, &c), 0);
    CHECK_INT(c.status, CP_STATS_OK);
    CHECK_INT(c.n, 4);
    /* Deviations -1.5 -0.5 0.5 1.5 and -1.5 0.5 -0.5 1.5: r = 4 / 5. With n = 4 the null is
     * Beta(1, 1) on [-1, 1], uniform: p = 1 - |r|. */
    CHECK_NEAR(c.pearson_r, 0.8, 1e-15);
    CHECK_NEAR(c.pearson_p, 0.2, 1e-14);
    /* The values are their ranks, so rho = r; t = 0.8 sqrt(2 / (1.8 * 0.2)) with 2 degrees of
     * freedom, where the two-sided p is 1 - t / sqrt(t^2 + 2). */
    double t = 0.8 * sqrt(2 / (1.8 * 0.2));
    CHECK_NEAR(c.spearman_r, 0.8, 1e-15);
    CHECK_NEAR(c.spearman_p, 1 - t / sqrt(t * t + 2), 1e-14);
}

TEST(ties_and_edges)
{
    double x[] = {10, 20, 20, 90}, y[] = {1, 2, 3, 4};
    struct cp_stats_corr c;
    CHECK_INT(cp_stats_correlate(x, y, 4, &c), 0);
    /* Ranks 1 2.5 2.5 4 against 1 2 3 4: sum dxdy = 4.5, sxx = 4.5, syy = 5. */
    CHECK_NEAR(c.spearman_r, sqrt(0.9), 1e-15);
    double lin[] = {2, 4, 6, 8};
    CHECK_INT(cp_stats_correlate(y, lin, 4, &c), 0);
    CHECK_NEAR(c.pearson_r, 1, 1e-15);
    CHECK_NEAR(c.pearson_p, 0, 1e-15);
    CHECK_NEAR(c.spearman_p, 0, 0);
    double flat[] = {3, 3, 3, 3};
    CHECK_INT(cp_stats_correlate(flat, y, 4, &c), 0);
    CHECK(isnan(c.pearson_r) && isnan(c.pearson_p) && isnan(c.spearman_r));
    double two[] = {1, NAN, 2};
    CHECK_INT(cp_stats_correlate(two, y, 3, &c), 0);
    CHECK_INT(c.status, CP_STATS_TOO_FEW);
    CHECK_INT(c.n, 2);
    CHECK(isnan(c.pearson_r) && isnan(c.spearman_p));
}

TEST(out_of_memory)
{
    double x[] = {1, 2, 3, 4}, y[] = {1, 3, 2, 4};
    struct cp_stats_corr c;
    long k;
    int clean = 1;
    for (k = 1; k < 100; k++) {
        cp_alloc_fail_at(k);
        int rc = cp_stats_correlate(x, y, 4, &c);
        cp_alloc_fail_at(0);
        if (rc == 0)
            break;
        clean &= rc == -CP_EINTERNAL;
    }
    CHECK(clean);
    CHECK(k > 1 && k < 100);
    CHECK(!isnan(c.spearman_p));
}

int main(void)
{
    RUN(four_pairs);
    RUN(ties_and_edges);
    RUN(out_of_memory);
    return DONE();
}
