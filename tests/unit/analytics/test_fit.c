/* Degradation fits on synthetic curves with known parameters. */
#include <math.h>
#include <stdint.h>

#include "cellpipe/fit.h"
#include "harness.h"

#define M 400

static double xs[M], ys[M];

/* Deterministic noise in [-amp, amp] (a fixed LCG: the test must not depend on libc rand). */
static double noise(unsigned *state, double amp)
{
    *state = *state * 1664525u + 1013904223u;
    return amp * (2.0 * (double)(*state >> 8) / 16777216.0 - 1.0);
}

static void make(enum cp_model m, const double *p, double amp)
{
    unsigned st = 12345;
    double pp[6] = {p[0], p[1], m > 1 ? p[2] : 0, m > 2 ? p[3] : 0, 0, 0};
    if (m == CP_MODEL_BACON_WATTS)
        pp[4] = CP_BW_GAMMA * M;
    for (int i = 0; i < M; i++) {
        xs[i] = i + 1;
        ys[i] = cp_fit_eval(m, pp, xs[i]) + noise(&st, amp);
    }
}

TEST(recovers_noiseless_parameters)
{
    static const double lin[] = {1.0, -2e-4}, sq[] = {1.01, 4e-3}, pw[] = {1.0, 2e-6, 2.0},
                        de[] = {1.0, -1e-4, -1e-3, 0.01}, bw[] = {0.98, -1e-4, -2e-4, 250};
    const double *truth[] = {lin, sq, pw, de, bw};
    for (int m = 0; m < CP_MODEL_COUNT; m++) {
        make((enum cp_model)m, truth[m], 0.0);
        struct cp_fit f;
        CHECK_INT(cp_fit_model((enum cp_model)m, xs, ys, M, &f), 0);
        CHECK_INT(f.status, CP_FIT_OK);
        CHECK_INT(f.np, cp_fit_nparams((enum cp_model)m));
        for (int k = 0; k < f.np; k++)
            CHECK_NEAR(f.p[k] / truth[m][k], 1.0, 1e-5);
        CHECK(f.rmse < 1e-7);
    }
}

TEST(aicc_prefers_the_true_model)
{
    static const double bw[] = {0.97, -5e-5, -3e-4, 300};
    make(CP_MODEL_BACON_WATTS, bw, 0.002);
    struct cp_fit f[CP_MODEL_COUNT];
    int best = -1;
    for (int m = 0; m < CP_MODEL_COUNT; m++) {
        cp_fit_model((enum cp_model)m, xs, ys, M, &f[m]);
        if (f[m].status == CP_FIT_OK && (best < 0 || f[m].aicc < f[best].aicc))
            best = m;
    }
    CHECK_INT(best, CP_MODEL_BACON_WATTS);
    CHECK_NEAR(f[CP_MODEL_BACON_WATTS].p[3], 300, 10);
    /* noise of +-0.002 uniform has sd 0.002/sqrt(3) */
    CHECK_NEAR(f[CP_MODEL_BACON_WATTS].rmse, 0.002 / sqrt(3.0), 2e-4);
}

TEST(aicc_formula)
{
    /* m ln(rss/m) + 2k + 2k(k+1)/(m-k-1), k = np + 1 */
    double expect = 50 * log(0.5 / 50) + 2 * 3 + 2.0 * 3 * 4 / (50 - 3 - 1);
    CHECK_NEAR(cp_fit_aicc(0.5, 50, 2), expect, 1e-12);
    CHECK(isnan(cp_fit_aicc(0.5, 4, 2)));
    CHECK(isnan(cp_fit_aicc(0.0, 50, 2)));
}

TEST(degenerate_inputs_are_reported_not_numbers)
{
    for (int i = 0; i < M; i++) {
        xs[i] = i + 1;
        ys[i] = 0.95; /* constant: no fade to fit */
    }
    struct cp_fit f;
    cp_fit_model(CP_MODEL_POWER, xs, ys, M, &f);
    CHECK(f.status != CP_FIT_OK);
    CHECK(isnan(f.p[0]) && isnan(f.rmse) && isnan(f.aicc));
    CHECK(f.reason[0] != '\0');
    cp_fit_model(CP_MODEL_DOUBLE_EXP, xs, ys, M, &f);
    CHECK(f.status != CP_FIT_OK);
    CHECK(f.reason[0] != '\0');
    cp_fit_model(CP_MODEL_LINEAR, xs, ys, 3, &f);
    CHECK_INT(f.status, CP_FIT_FAILED);
    CHECK_STR(f.reason, "too few points for this model");
}

TEST(crossing)
{
    double p[] = {1.0, -1e-3};
    CHECK_NEAR(cp_fit_crossing(CP_MODEL_LINEAR, p, 0.8, 0, 1000), 200.0, 1e-5);
    CHECK(isnan(cp_fit_crossing(CP_MODEL_LINEAR, p, 0.8, 0, 150)));
    CHECK_NEAR(cp_fit_crossing(CP_MODEL_LINEAR, p, 0.8, 250, 1000), 250.0, 0);
    double pw[] = {1.0, 2e-6, 2.0}; /* 1 - 2e-6 n^2 = 0.8 at n = sqrt(1e5) */
    CHECK_NEAR(cp_fit_crossing(CP_MODEL_POWER, pw, 0.8, 1, 5000), sqrt(1e5), 1e-5);
}

TEST(knee_onset_before_knee_point)
{
    /* flat fade, then a gradual knee between 200 and 300, steep after */
    for (int i = 0; i < M; i++) {
        xs[i] = i + 1;
        double n = xs[i];
        ys[i] = 1.0 - 5e-5 * n - (n > 200 ? 1e-6 * (n - 200) * (n - 200) : 0);
    }
    struct cp_fit bw;
    cp_fit_model(CP_MODEL_BACON_WATTS, xs, ys, M, &bw);
    CHECK_INT(bw.status, CP_FIT_OK);
    double onset;
    CHECK_INT(cp_knee_onset(xs, ys, M, bw.p[3], &onset), 0);
    CHECK(isfinite(onset));
    CHECK(onset < bw.p[3]);
    CHECK(onset > 150 && onset < 300);
    CHECK(bw.p[3] > 220 && bw.p[3] < 380);
}

int main(void)
{
    RUN(recovers_noiseless_parameters);
    RUN(aicc_prefers_the_true_model);
    RUN(aicc_formula);
    RUN(degenerate_inputs_are_reported_not_numbers);
    RUN(crossing);
    RUN(knee_onset_before_knee_point);
    return DONE();
}
