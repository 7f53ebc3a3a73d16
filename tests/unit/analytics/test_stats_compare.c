/* Two-group comparison against values worked by hand (rank sums, U orderings, t with 4 df). */
#include <math.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/stats.h"
#include "harness.h"

TEST(separated_exact)
{
    double x[] = {3, 1, 2}, y[] = {6, NAN, 4, 5};
    struct cp_stats_cmp c;
    CHECK_INT(cp_stats_compare(x, 3, y, 4, &c), 0);
    CHECK_INT(c.status, CP_STATS_OK);
    CHECK_INT(c.n2, 3);
    /* U1 = 0, U = 9; 1 of the C(6,3) = 20 orderings reaches 9: p = 2/20. */
    CHECK(c.u_exact);
    CHECK_NEAR(c.u, 9, 0);
    CHECK_NEAR(c.u_p, 0.1, 1e-15);
    CHECK_NEAR(c.cliff_delta, -1, 0);
    /* Means 2 and 5, variances 1: t = -3 / sqrt(2/3), df = 4; for 4 df, with
     * x = |t| / sqrt(t^2 + 4), the two-sided p is 1 - (3/2) x (1 - x^2 / 3). */
    double t = -3 / sqrt(2.0 / 3.0), r = fabs(t) / sqrt(t * t + 4);
    CHECK_NEAR(c.t, t, 1e-14);
    CHECK_NEAR(c.t_df, 4, 1e-12);
    CHECK_NEAR(c.t_p, 1 - 1.5 * r * (1 - r * r / 3), 1e-12);
}

TEST(ties_asymptotic)
{
    double x[] = {1, 2, 2, 3}, y[] = {2, 3, 4, 5};
    struct cp_stats_cmp c;
    CHECK_INT(cp_stats_compare(x, 4, y, 4, &c), 0);
    /* Ranks 1, 3 3 3, 5.5 5.5, 7, 8: R1 = 12.5, U1 = 2.5, U = 13.5; ties 3 and 2 give
     * sum(t^3 - t) = 30; s^2 = 16/12 (9 - 30/56) = 79/7; z = (13.5 - 8 - 0.5) / s. */
    CHECK(!c.u_exact);
    CHECK_NEAR(c.u, 13.5, 0);
    CHECK_NEAR(c.u_p, erfc(5 / sqrt(79.0 / 7.0) / sqrt(2.0)), 1e-14);
    CHECK_NEAR(c.cliff_delta, -11.0 / 16.0, 1e-15);
    double same[] = {7, 7, 7};
    CHECK_INT(cp_stats_compare(same, 3, same, 3, &c), 0);
    CHECK_NEAR(c.u_p, 1, 0);
    CHECK(isnan(c.t) && isnan(c.t_p));
}

TEST(not_enough_cells)
{
    double x[] = {1, NAN, 2}, y[] = {1, 2, 3, 4};
    struct cp_stats_cmp c;
    CHECK_INT(cp_stats_compare(x, 3, y, 4, &c), 0);
    CHECK_INT(c.status, CP_STATS_TOO_FEW);
    CHECK_INT(c.n1, 2);
    CHECK(isnan(c.u_p) && isnan(c.t_p) && isnan(c.cliff_delta));
    CHECK_INT(cp_stats_compare(NULL, 0, y, 4, &c), 0);
    CHECK_INT(c.status, CP_STATS_TOO_FEW);
}

TEST(out_of_memory)
{
    double x[] = {3, 1, 2, 9}, y[] = {6, 4, 5};
    struct cp_stats_cmp c;
    long k;
    int clean = 1;
    for (k = 1; k < 100; k++) {
        cp_alloc_fail_at(k);
        int rc = cp_stats_compare(x, 4, y, 3, &c);
        cp_alloc_fail_at(0);
        if (rc == 0)
            break;
        clean &= rc == -CP_EINTERNAL;
    }
    CHECK(clean);
    CHECK(k > 1 && k < 100);
    CHECK(!isnan(c.u_p));
}

int main(void)
{
    RUN(separated_exact);
    RUN(ties_asymptotic);
    RUN(not_enough_cells);
    RUN(out_of_memory);
    return DONE();
}
