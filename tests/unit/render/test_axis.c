/* Nice ticks: steps 1/2/5 x 10^k, decade ticks on log axes, label formatting. */
#include <math.h>

#include "cellpipe/axis.h"
#include "harness.h"

TEST(nice_steps)
{
    CHECK_NEAR(cp_axis_nice_step(1.0, 5), 0.2, 1e-15);
    CHECK_NEAR(cp_axis_nice_step(1000.0, 5), 200.0, 1e-9);
    CHECK_NEAR(cp_axis_nice_step(0.37, 4), 0.1, 1e-15);  /* 0.0925 -> 0.1 */
    CHECK_NEAR(cp_axis_nice_step(7.0, 5), 2.0, 1e-15);   /* 1.4 -> 2 */
    CHECK_NEAR(cp_axis_nice_step(23.0, 5), 5.0, 1e-15);  /* 4.6 -> 5 */
    CHECK_NEAR(cp_axis_nice_step(60.0, 5), 20.0, 1e-12); /* 12 -> 20 */
    CHECK_NEAR(cp_axis_nice_step(1e-6, 4), 5e-7, 1e-20); /* 2.5e-7 -> 5e-7 */
    CHECK_NEAR(cp_axis_nice_step(0.0, 5), 1.0, 0);       /* degenerate: a usable step */
}

/* Every step is m x 10^k with m in {1, 2, 5}, for a sweep of ranges and targets. */
TEST(steps_are_nice)
{
    int bad = 0;
    for (double range = 1e-5; range < 1e7; range *= 1.37)
        for (int target = 2; target <= 12; target++) {
            double s = cp_axis_nice_step(range, target);
            double m = s / pow(10.0, floor(log10(s) + 1e-12));
            int ok = fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9;
            /* never fewer than half the asked ticks nor more than the target */
            ok = ok && s >= range / target * (1 - 1e-9) && range / s >= target / 2.5 - 1e-9;
            bad += !ok;
        }
    CHECK_INT(bad, 0);
}

TEST(linear_ticks)
{
    struct cp_axis ax;
    CHECK_INT(cp_axis_range(&ax, 0, 0.0, 1000.0, 0.0, 1000.0), 0);
    cp_axis_ticks(&ax, 5);
    CHECK_INT(ax.nticks, 6);
    CHECK_NEAR(ax.ticks[0], 0, 0);
    CHECK_NEAR(ax.ticks[5], 1000, 1e-9);
    char buf[32];
    cp_axis_format(&ax, ax.ticks[1], buf, sizeof(buf));
    CHECK_STR(buf, "200");
    /* fractions get the same decimals on every label, and exact zero is "0.00"-free of sign */
    CHECK_INT(cp_axis_range(&ax, 0, -0.05, 0.1, -0.05, 0.1), 0);
    cp_axis_ticks(&ax, 3);
    CHECK_NEAR(ax.step, 0.05, 1e-15);
    cp_axis_format(&ax, ax.ticks[0], buf, sizeof(buf));
    CHECK_STR(buf, "\xe2\x88\x92"
                   "0.05");
    cp_axis_format(&ax, ax.ticks[1], buf, sizeof(buf));
    CHECK_STR(buf, "0.00");
}

TEST(range_padding_and_degenerate)
{
    struct cp_axis ax;
    CHECK_INT(cp_axis_range(&ax, 0, 10, 20, NAN, NAN), 0);
    CHECK(ax.lo < 10 && ax.lo > 9);
    CHECK(ax.hi > 20 && ax.hi < 21);
    CHECK_INT(cp_axis_range(&ax, 0, 5, 5, NAN, NAN), 0); /* single value */
    CHECK(ax.lo < 5 && ax.hi > 5);
    CHECK_INT(cp_axis_range(&ax, 0, 0, 0, NAN, NAN), 0);
    CHECK(ax.lo < 0 && ax.hi > 0);
    CHECK_INT(cp_axis_range(&ax, 0, NAN, NAN, NAN, NAN), -1);
    CHECK_INT(cp_axis_range(&ax, 1, -3, 5, NAN, NAN), -1); /* non-positive on log */
    CHECK_INT(cp_axis_range(&ax, 1, 1, 100, -1, NAN), -1); /* fixed limit <= 0 on log */
    CHECK_INT(cp_axis_range(&ax, 0, 1, 2, 3, 3), 0);       /* equal fixed limits widen */
    CHECK(ax.hi > ax.lo);
}

TEST(log_ticks)
{
    struct cp_axis ax;
    CHECK_INT(cp_axis_range(&ax, 1, 1, 10000, 1, 10000), 0);
    cp_axis_ticks(&ax, 6);
    CHECK_INT(ax.nticks, 5); /* 1 10 100 1000 10000 */
    CHECK_NEAR(ax.ticks[2], 100, 1e-9);
    CHECK_INT(ax.nminor, 32); /* 2..9 in each of four decades */
    CHECK_NEAR(cp_axis_map(&ax, 100), 0.5, 1e-12);
    /* under three decades: 1, 2, 5 in each */
    CHECK_INT(cp_axis_range(&ax, 1, 1, 100, 1, 100), 0);
    cp_axis_ticks(&ax, 6);
    CHECK_INT(ax.nticks, 7); /* 1 2 5 10 20 50 100 */
    CHECK_NEAR(ax.ticks[4], 20, 1e-9);
    char buf[32];
    CHECK_INT(cp_axis_range(&ax, 1, 0.001, 1, 0.001, 1), 0);
    cp_axis_ticks(&ax, 6);
    cp_axis_format(&ax, ax.ticks[0], buf, sizeof(buf));
    CHECK_STR(buf, "0.001");
    cp_axis_format(&ax, 0.01, buf, sizeof(buf));
    CHECK_STR(buf, "0.01");
}

/* Two labelled ticks at least, even when the asked step would round up past the range. */
TEST(at_least_two_ticks)
{
    struct cp_axis ax;
    int bad = 0;
    for (double hi = 1.3; hi < 5e4; hi *= 1.21) {
        cp_axis_range(&ax, 0, 0, hi, 0, hi);
        cp_axis_ticks(&ax, 2);
        double m = ax.step / pow(10.0, floor(log10(ax.step) + 1e-9));
        bad += ax.nticks < 2;
        bad += !(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9);
    }
    CHECK_INT(bad, 0);
    cp_axis_range(&ax, 0, 0, 402, 0, 402); /* nice_step(402, 2) is 500: only "0" fits */
    cp_axis_ticks(&ax, 2);
    CHECK_INT(ax.nticks, 3); /* 0 200 400 */
    CHECK_NEAR(ax.ticks[2], 400, 1e-9);
}

int main(void)
{
    RUN(at_least_two_ticks);
    RUN(nice_steps);
    RUN(steps_are_nice);
    RUN(linear_ticks);
    RUN(range_padding_and_degenerate);
    RUN(log_ticks);
    return DONE();
}
