/* Per-cell forecast intervals (bootstrap and delta method) against the closed-form delta
 * interval of a straight line, widening, capping; fleet alignment on warped copies. */
#include <math.h>

#include "cellpipe/fit.h"
#include "harness.h"
#include "lab.h"

#define M 300
#define MT 600

static double xs[MT], ys[MT];

static void line(double a, double b, double sd, int m)
{
    lab_state = 17;
    for (int i = 0; i < m; i++) {
        xs[i] = i + 1;
        ys[i] = a + b * xs[i] + lab_noise(sd);
    }
}

/* Closed-form: OLS covariance of (a, b) and the delta-method sd of x = (thr - a) / b. */
static double analytic_sd(int m, const struct cp_fit *f, double thr)
{
    double sx = 0, sxx = 0, rss = 0;
    for (int i = 0; i < m; i++) {
        sx += xs[i], sxx += xs[i] * xs[i];
        double e = ys[i] - f->p[0] - f->p[1] * xs[i];
        rss += e * e;
    }
    double s2 = rss / (m - 2), det = m * sxx - sx * sx;
    double vaa = s2 * sxx / det, vbb = s2 * m / det, vab = -s2 * sx / det;
    double b = f->p[1], ga = -1.0 / b, gb = -(thr - f->p[0]) / (b * b);
    return sqrt(ga * ga * vaa + 2 * ga * gb * vab + gb * gb * vbb);
}

TEST(delta_matches_closed_form_and_bootstrap_agrees)
{
    line(1.0, -5e-4, 0.004, M);
    struct cp_fit f;
    CHECK_INT(cp_fit_model(CP_MODEL_LINEAR, xs, ys, M, &f), 0);
    double x = (0.8 - f.p[0]) / f.p[1], sd = analytic_sd(M, &f, 0.8);
    struct cp_forecast_opts o = {0.8, 3.0 * M, 0, 0, 1};
    struct cp_eol_forecast d, b;
    CHECK_INT(cp_forecast_per_cell(xs, ys, M, &f, CP_MODEL_LINEAR, &o, &d), 0);
    CHECK_NEAR(d.eol, x, 1e-4);
    CHECK_NEAR((d.hi - d.eol) / (1.96 * sd), 1.0, 1e-3);
    CHECK_NEAR((d.eol - d.lo) / (1.96 * sd), 1.0, 1e-3);
    struct cp_forecast_opts ob = {0.8, 3.0 * M, 2000, 5, 0};
    CHECK_INT(cp_forecast_per_cell(xs, ys, M, &f, CP_MODEL_LINEAR, &ob, &b), 0);
    CHECK_NEAR(b.eol, x, 1e-4);
    CHECK_NEAR((b.hi - b.lo) / (d.hi - d.lo), 1.0, 0.15);
    CHECK_INT(b.capped, 0);
}

TEST(interval_widens_with_less_data_and_caps)
{
    struct cp_fit f;
    struct cp_eol_forecast full, part;
    struct cp_forecast_opts o = {0.8, 900, 400, 9, 0};
    line(1.0, -5e-4, 0.004, M); /* crossing near cycle 400 */
    cp_fit_model(CP_MODEL_LINEAR, xs, ys, M, &f);
    cp_forecast_per_cell(xs, ys, M, &f, CP_MODEL_LINEAR, &o, &full);
    cp_fit_model(CP_MODEL_LINEAR, xs, ys, 60, &f);
    o.limit = 180;
    cp_forecast_per_cell(xs, ys, 60, &f, CP_MODEL_LINEAR, &o, &part);
    /* 60 cycles cannot place a crossing near cycle 400: capped at 3x, flagged */
    CHECK_INT(part.capped, 1);
    CHECK_NEAR(part.eol, 180, 0);
    CHECK(full.hi - full.lo > 0);
    CHECK_INT(full.capped, 0);
    /* the same curve from 120 cycles: the interval is wider */
    struct cp_eol_forecast mid;
    cp_fit_model(CP_MODEL_LINEAR, xs, ys, 120, &f);
    o.limit = 900;
    cp_forecast_per_cell(xs, ys, 120, &f, CP_MODEL_LINEAR, &o, &mid);
    CHECK(mid.hi - mid.lo > 2 * (full.hi - full.lo));
}

TEST(fleet_alignment_recovers_a_time_warp)
{
    /* a sibling curve and a target that ages 1.25x faster: crossing at sibling eol / 1.25 */
    static double sn[1200], sy[1200];
    for (int i = 0; i < 1200; i++) {
        sn[i] = i + 1;
        sy[i] = lab_curve(sn[i], 1000, 6);
    }
    struct cp_sibling s;
    CHECK_INT(cp_sibling_init(&s, sn, sy, 1200, 1000), 0);
    s.threshold = 0.8;
    for (int i = 0; i < 480; i++) {
        xs[i] = i + 1;
        ys[i] = lab_curve(1.25 * xs[i], 1000, 6);
    }
    double bn[CP_TARGET_BINS], by[CP_TARGET_BINS];
    size_t nb = cp_target_bins(xs, ys, 480, bn, by);
    struct cp_alignment a;
    cp_align(&s, bn, by, nb, 1.0, &a);
    CHECK_NEAR(a.k, 1.25, 0.01);
    CHECK_NEAR(a.eol, 800, 8);
    CHECK(fabs(a.offset) < 0.002);
}

int main(void)
{
    RUN(delta_matches_closed_form_and_bootstrap_agrees);
    RUN(interval_widens_with_less_data_and_caps);
    RUN(fleet_alignment_recovers_a_time_warp);
    return DONE();
}
