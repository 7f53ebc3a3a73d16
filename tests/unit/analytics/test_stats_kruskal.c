/* Kruskal-Wallis against values worked by hand (chi^2 with 1 and 2 df in closed form). */
#include <math.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/stats.h"
#include "harness.h"

TEST(no_ties)
{
    double a[] = {1, 2, 3}, b[] = {4, NAN, 5, 6}, c[] = {7, 8, 9};
    const double *g[] = {a, b, c};
    size_t n[] = {3, 4, 3};
    struct cp_stats_kw kw;
    CHECK_INT(cp_stats_kruskal(g, n, 3, &kw), 0);
    CHECK_INT(kw.status, CP_STATS_OK);
    CHECK_INT(kw.n, 9);
    /* R = 6, 15, 24: H = 12 / 90 (12 + 75 + 192) - 30 = 7.2; chi^2_2 tail is exp(-H / 2). */
    CHECK_NEAR(kw.h, 7.2, 1e-13);
    CHECK_NEAR(kw.df, 2, 0);
    CHECK_NEAR(kw.p, exp(-3.6), 1e-15);
}

TEST(ties)
{
    double a[] = {1, 1, 2}, b[] = {2, 3, 3};
    const double *g[] = {a, b};
    size_t n[] = {3, 3};
    struct cp_stats_kw kw;
    CHECK_INT(cp_stats_kruskal(g, n, 2, &kw), 0);
    /* Ranks 1.5 1.5 3.5 | 3.5 5.5 5.5: R = 6.5, 14.5; three ties of 2: sum(t^3 - t) = 18. */
    double h = (12.0 / 42.0 * (6.5 * 6.5 + 14.5 * 14.5) / 3.0 - 21.0) / (1.0 - 18.0 / 210.0);
    CHECK_NEAR(kw.h, h, 1e-13);
    CHECK_NEAR(kw.p, erfc(sqrt(h / 2.0)), 1e-14);
    double same[] = {4, 4, 4};
    const double *s[] = {same, same};
    CHECK_INT(cp_stats_kruskal(s, n, 2, &kw), 0);
    CHECK_INT(kw.status, CP_STATS_OK);
    CHECK(isnan(kw.h) && isnan(kw.p));
}

TEST(not_enough_cells)
{
    double a[] = {1, 2, NAN}, b[] = {2, 3, 3};
    const double *g[] = {a, b};
    size_t n[] = {3, 3};
    struct cp_stats_kw kw;
    CHECK_INT(cp_stats_kruskal(g, n, 2, &kw), 0);
    CHECK_INT(kw.status, CP_STATS_TOO_FEW);
    CHECK(isnan(kw.p));
    CHECK_INT(cp_stats_kruskal(g + 1, n, 1, &kw), 0);
    CHECK_INT(kw.status, CP_STATS_TOO_FEW);
}

TEST(out_of_memory)
{
    double a[] = {1, 2, 3}, b[] = {4, 5, 6};
    const double *g[] = {a, b};
    size_t n[] = {3, 3};
    struct cp_stats_kw c;
    long k;
    int clean = 1;
    for (k = 1; k < 100; k++) {
        cp_alloc_fail_at(k);
        int rc = cp_stats_kruskal(g, n, 2, &c);
        cp_alloc_fail_at(0);
        if (rc == 0)
            break;
        clean &= rc == -CP_EINTERNAL;
    }
    CHECK(clean);
    CHECK(k > 1 && k < 100);
    CHECK(!isnan(c.p));
}

int main(void)
{
    RUN(no_ties);
    RUN(ties);
    RUN(not_enough_cells);
    RUN(out_of_memory);
    return DONE();
}
