/* Bonferroni and Holm against adjusted p-values worked by hand. */
#include <math.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/stats.h"
#include "harness.h"

TEST(bonferroni)
{
    double p[] = {0.01, NAN, 0.04, 0.3, 0.0125};
    double q[5];
    CHECK_INT(cp_stats_adjust(p, 5, CP_STATS_BONFERRONI, q), 0);
    /* m = 4 finite p-values. */
    CHECK_NEAR(q[0], 0.04, 1e-15);
    CHECK(isnan(q[1]));
    CHECK_NEAR(q[2], 0.16, 1e-15);
    CHECK_NEAR(q[3], 1.0, 0);
    CHECK_NEAR(q[4], 0.05, 1e-15);
}

TEST(holm)
{
    double p[] = {0.04, 0.01, NAN, 0.03, 0.005, 0.03};
    /* Sorted 0.005 0.01 0.03 0.03 0.04, m = 5: 5 * 0.005 = 0.025, 4 * 0.01 = 0.04,
     * 3 * 0.03 = 0.09, 2 * 0.03 = 0.06 -> 0.09 (running max), 1 * 0.04 -> 0.09. */
    CHECK_INT(cp_stats_adjust(p, 6, CP_STATS_HOLM, p), 0);
    CHECK_NEAR(p[0], 0.09, 1e-15);
    CHECK_NEAR(p[1], 0.04, 1e-15);
    CHECK(isnan(p[2]));
    CHECK_NEAR(p[3], 0.09, 1e-15);
    CHECK_NEAR(p[4], 0.025, 1e-15);
    CHECK_NEAR(p[5], 0.09, 1e-15);
    double big[] = {0.5, 0.6};
    CHECK_INT(cp_stats_adjust(big, 2, CP_STATS_HOLM, big), 0);
    CHECK_NEAR(big[0], 1.0, 0);
    CHECK_NEAR(big[1], 1.0, 0);
    CHECK_INT(cp_stats_adjust(NULL, 0, CP_STATS_HOLM, NULL), 0);
}

TEST(out_of_memory)
{
    double p[] = {0.01, 0.04, 0.03}, q[3];
    long k;
    int clean = 1;
    for (k = 1; k < 100; k++) {
        cp_alloc_fail_at(k);
        int rc = cp_stats_adjust(p, 3, CP_STATS_HOLM, q);
        cp_alloc_fail_at(0);
        if (rc == 0)
            break;
        clean &= rc == -CP_EINTERNAL;
    }
    CHECK(clean);
    CHECK(k > 1 && k < 100);
    CHECK(!isnan(q[0]));
}

int main(void)
{
    RUN(bonferroni);
    RUN(holm);
    RUN(out_of_memory);
    return DONE();
}
