/* Kaplan-Meier and log-rank against values worked by hand (product limit, Greenwood sums,
 * the 2 x 2 hypergeometric terms of each event time). */
#include <math.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/stats.h"
#include "harness.h"

#define Z95 1.959963984540054 /* the 0.975 normal quantile */

/* The log-log interval of S with Greenwood sum gw, as the header defines it. */
static double loglog(double s, double gw, double sign)
{
    return pow(s, exp(sign * Z95 * sqrt(gw / (log(s) * log(s)))));
}

/* Six cells, two censored, one of them at the time of an event (4: the event comes first):
 *   t  n  d  c   S                   Greenwood sum          Var S
 *   2  6  1  0   5/6                 1/30                   25/36 * 1/30
 *   4  5  1  1   5/6 * 4/5 = 2/3     1/30 + 1/20 = 1/12     4/9 * 1/12 = 1/27
 *   6  3  1  0   2/3 * 2/3 = 4/9     1/12 + 1/6 = 1/4       16/81 * 1/4 = 4/81
 *   8  2  0  1   4/9                 1/4                    4/81
 *   9  1  1  0   0                   (1/0 dropped)          0
 * Median: S first <= 0.5 at 6. lo(2) = (5/6)^exp(z sqrt(1/30) / |log 5/6|) = 0.273 <= 0.5, so
 * median_lo = 2; hi(6) = 0.785, hi(8) the same, hi(9) = 0: median_hi = 9. */
TEST(textbook_six)
{
    double t[] = {4, 2, 9, 4, 8, 6};
    int e[] = {0, 1, 1, 1, 0, 1};
    struct cp_stats_km km;
    CHECK_INT(cp_stats_km(t, e, 6, 0.95, &km), 0);
    CHECK_INT(km.status, CP_STATS_OK);
    CHECK_INT(km.n, 6);
    CHECK_INT(km.events, 4);
    CHECK_INT(km.nsteps, 5);
    if (km.nsteps != 5)
        return;
    static const double ts[] = {2, 4, 6, 8, 9}, s[] = {5.0 / 6, 2.0 / 3, 4.0 / 9, 4.0 / 9, 0},
                        gw[] = {1.0 / 30, 1.0 / 12, 0.25, 0.25, 0};
    static const size_t n[] = {6, 5, 3, 2, 1}, d[] = {1, 1, 1, 0, 1}, c[] = {0, 1, 0, 1, 0};
    for (size_t i = 0; i < 5; i++) {
        const struct cp_stats_km_step *st = &km.steps[i];
        CHECK_NEAR(st->t, ts[i], 0);
        CHECK_INT(st->at_risk, n[i]);
        CHECK_INT(st->events, d[i]);
        CHECK_INT(st->censored, c[i]);
        CHECK_NEAR(st->s, s[i], 1e-15);
        CHECK_NEAR(st->var, s[i] * s[i] * gw[i], 1e-15);
        if (i < 4) {
            CHECK_NEAR(st->lo, loglog(s[i], gw[i], 1), 1e-12);
            CHECK_NEAR(st->hi, loglog(s[i], gw[i], -1), 1e-12);
        }
    }
    CHECK_NEAR(km.steps[0].lo, 0.27312284992835606, 1e-12); /* lifelines 0.30.3 */
    CHECK_NEAR(km.steps[2].hi, 0.78490836714795842, 1e-12);
    CHECK(km.steps[4].lo == 0 && km.steps[4].hi == 0);
    CHECK_NEAR(km.median, 6, 0);
    CHECK_NEAR(km.median_lo, 2, 0);
    CHECK_NEAR(km.median_hi, 9, 0);
    cp_stats_km_release(&km);
    CHECK(km.steps == NULL && km.nsteps == 0);
}

TEST(all_censored_nan_single)
{
    double t[] = {5, NAN, 3, 7, INFINITY};
    int e[] = {0, 1, 0, 0, 1};
    struct cp_stats_km km;
    CHECK_INT(cp_stats_km(t, e, 5, 0.95, &km), 0);
    CHECK_INT(km.n, 3); /* NaN and infinity left out */
    CHECK_INT(km.events, 0);
    CHECK_INT(km.nsteps, 3);
    for (size_t i = 0; i < km.nsteps; i++) {
        CHECK_NEAR(km.steps[i].s, 1, 0);
        CHECK_NEAR(km.steps[i].var, 0, 0);
        CHECK(isnan(km.steps[i].lo) && isnan(km.steps[i].hi));
    }
    CHECK(isnan(km.median) && isnan(km.median_lo) && isnan(km.median_hi));
    cp_stats_km_release(&km);
    /* One cell with its event: S drops to 0 at once, a median without a lower interval end
     * other than that step. */
    double one = 800;
    int ev = 1;
    CHECK_INT(cp_stats_km(&one, &ev, 1, 0.95, &km), 0);
    CHECK_INT(km.nsteps, 1);
    CHECK_NEAR(km.steps[0].s, 0, 0);
    CHECK_NEAR(km.median, 800, 0);
    CHECK_NEAR(km.median_hi, 800, 0);
    cp_stats_km_release(&km);
    CHECK_INT(cp_stats_km(t + 1, e + 1, 1, 0.95, &km), 0);
    CHECK_INT(km.status, CP_STATS_TOO_FEW);
    CHECK(km.nsteps == 0 && km.steps == NULL && isnan(km.median));
    cp_stats_km_release(&km);
}

/* A = {2, 4, 4+, 6, 8+, 9}, B = {3, 5+, 7, 10, 11, 12+}. Per event time (nA, nB, D), O_A - E_A
 * and V_AA = D (N - D) / (N - 1) nA nB / N^2:
 *   2 (6,6,1 A) +1/2   1/4      3 (5,6,1 B) -5/11  30/121   4 (5,5,1 A) +1/2  1/4
 *   6 (3,4,1 A) +4/7   12/49    7 (2,4,1 B) -1/3   2/9      9 (1,3,1 A) +3/4  3/16
 *   10, 11: nA = 0, nothing. chi2 = Z^2 / V (lifelines: 1.6767802369501623). */
TEST(logrank_two_groups)
{
    double t[] = {2, 4, 4, 6, 8, 9, 3, 5, 7, 10, 11, 12, NAN};
    int e[] = {1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1};
    size_t g[] = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0};
    struct cp_stats_logrank lr;
    CHECK_INT(cp_stats_logrank(t, e, g, 13, 2, &lr), 0);
    CHECK_INT(lr.status, CP_STATS_OK);
    CHECK_INT(lr.n, 12);
    CHECK_INT(lr.k, 2);
    double z = 1.75 - 5.0 / 11 + 4.0 / 7 - 1.0 / 3;
    double v = 0.6875 + 30.0 / 121 + 12.0 / 49 + 2.0 / 9;
    CHECK_NEAR(lr.chi2, z * z / v, 1e-13);
    CHECK_NEAR(lr.chi2, 1.6767802369501623, 1e-13);
    CHECK_NEAR(lr.df, 1, 0);
    CHECK_NEAR(lr.p, erfc(sqrt(z * z / v / 2)), 1e-13); /* chi^2_1 tail */
}

TEST(logrank_too_few_and_no_event)
{
    double t[] = {1, 2, 3, 4, 5, NAN};
    int e[] = {1, 1, 1, 1, 1, 1}, none[] = {0, 0, 0, 0, 0, 0};
    size_t g[] = {0, 0, 0, 1, 1, 1};
    struct cp_stats_logrank lr;
    CHECK_INT(cp_stats_logrank(t, e, g, 6, 2, &lr), 0); /* group 1 has 2 finite times */
    CHECK_INT(lr.status, CP_STATS_TOO_FEW);
    CHECK(isnan(lr.chi2) && isnan(lr.p) && isnan(lr.df));
    CHECK_INT(cp_stats_logrank(t, e, g, 3, 1, &lr), 0);
    CHECK_INT(lr.status, CP_STATS_TOO_FEW);
    double t6[] = {1, 2, 3, 4, 5, 6};
    CHECK_INT(cp_stats_logrank(t6, none, g, 6, 2, &lr), 0);
    CHECK_INT(lr.status, CP_STATS_OK);
    CHECK(isnan(lr.chi2) && isnan(lr.p));
    CHECK_NEAR(lr.df, 1, 0);
    /* Group 1 censored before the first event: never at risk then, V singular; the test of
     * the other two groups remains (pseudo-inverse). */
    double t9[] = {10, 11, 12, 1, 1, 2, 13, 14, 15};
    int e9[] = {1, 1, 1, 0, 0, 0, 1, 1, 0};
    size_t g9[] = {0, 0, 0, 1, 1, 1, 2, 2, 2};
    CHECK_INT(cp_stats_logrank(t9, e9, g9, 9, 3, &lr), 0);
    CHECK(isfinite(lr.chi2) && lr.chi2 > 0 && lr.p < 1);
}

/* Fail the 1st, 2nd, ... allocation until the call succeeds: every failure must be a clean
 * -CP_EINTERNAL. Returns the number of allocations that could fail. */
static long torture(int (*call)(void))
{
    long k;
    int clean = 1;
    for (k = 1; k < 100; k++) {
        cp_alloc_fail_at(k);
        int rc = call();
        cp_alloc_fail_at(0);
        if (rc == 0)
            break;
        clean &= rc == -CP_EINTERNAL;
    }
    CHECK(clean);
    return k;
}

static int call_km(void)
{
    double t[] = {3, 1, 2};
    int e[] = {1, 0, 1};
    struct cp_stats_km km;
    int rc = cp_stats_km(t, e, 3, 0.95, &km);
    if (rc != 0)
        CHECK(km.steps == NULL && km.nsteps == 0);
    cp_stats_km_release(&km);
    return rc;
}

static int call_logrank(void)
{
    double t[] = {3, 1, 2, 4, 6, 5};
    int e[] = {1, 0, 1, 1, 1, 0};
    size_t g[] = {0, 0, 0, 1, 1, 1};
    struct cp_stats_logrank lr;
    return cp_stats_logrank(t, e, g, 6, 2, &lr);
}

TEST(out_of_memory)
{
    long k = torture(call_km);
    CHECK(k > 1 && k < 100);
    k = torture(call_logrank);
    CHECK(k > 1 && k < 100);
}

int main(void)
{
    RUN(textbook_six);
    RUN(all_censored_nan_single);
    RUN(logrank_two_groups);
    RUN(logrank_too_few_and_no_event);
    RUN(out_of_memory);
    return DONE();
}
