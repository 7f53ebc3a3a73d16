/* Descriptive statistics against textbook values computed by hand (1..10, t table, binomial). */
#include <math.h>

#include "cellpipe/stats.h"
#include "harness.h"

TEST(one_to_ten_with_nan)
{
    double x[] = {7, 3, NAN, 1, 10, 5, 2, 9, 4, 8, 6};
    struct cp_stats_desc d;
    CHECK_INT(cp_stats_describe(x, 11, 0.95, &d), 0);
    CHECK_INT(d.n, 10);
    CHECK_NEAR(d.mean, 5.5, 1e-12);
    CHECK_NEAR(d.sd, sqrt(82.5 / 9.0), 1e-12);
    CHECK_NEAR(d.median, 5.5, 1e-12);
    CHECK_NEAR(d.q1, 3.25, 1e-12);
    CHECK_NEAR(d.q3, 7.75, 1e-12);
    CHECK_NEAR(d.min, 1, 0);
    CHECK_NEAR(d.max, 10, 0);
    /* t(0.975, 9) = 2.262157162740991 (tables). */
    double h = 2.262157162740991 * sqrt(82.5 / 9.0) / sqrt(10.0);
    CHECK_NEAR(d.mean_lo, 5.5 - h, 1e-9);
    CHECK_NEAR(d.mean_hi, 5.5 + h, 1e-9);
    /* P(B(10,1/2) <= 1) = 11/1024 <= 0.025 < P(<= 2) = 56/1024: k = 2, [x_(2), x_(9)]. */
    CHECK_NEAR(d.median_lo, 2, 0);
    CHECK_NEAR(d.median_hi, 9, 0);
}

TEST(small_groups)
{
    double one[] = {4.0};
    struct cp_stats_desc d;
    CHECK_INT(cp_stats_describe(one, 1, 0.95, &d), 0);
    CHECK_INT(d.n, 1);
    CHECK_NEAR(d.median, 4.0, 0);
    CHECK(isnan(d.sd) && isnan(d.mean_lo) && isnan(d.median_lo));
    /* n = 5: P(B <= 0) = 1/32 > 0.025, so no order-statistic interval reaches 95 %. */
    double five[] = {1, 2, 3, 4, 5};
    CHECK_INT(cp_stats_describe(five, 5, 0.95, &d), 0);
    CHECK(isnan(d.median_lo));
    CHECK_INT(cp_stats_describe(NULL, 0, 0.95, &d), 0);
    CHECK_INT(d.n, 0);
    CHECK(isnan(d.mean));
}

int main(void)
{
    RUN(one_to_ten_with_nan);
    RUN(small_groups);
    return DONE();
}
