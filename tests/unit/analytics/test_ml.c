/*
 * The ML layer against conditions that hold at any correct answer (the optimality conditions
 * of each objective, an identity between two solvers, hand-counted metrics) and its input
 * errors; tests/integration/ml_sklearn.sh compares the numbers with scikit-learn.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml.h"
#include "harness.h"

#define N 60
#define P 4

static double X[N * P], y[N], label[N];

static void make_data(void)
{
    uint64_t s = 5;
    for (int i = 0; i < N; i++) {
        double c = cp_ml_normal(&s);
        for (int j = 0; j < P; j++)
            X[i * P + j] = (j + 1) * (0.5 * c + cp_ml_normal(&s)) + 3 * j;
        y[i] = 2.8 + 0.1 * X[i * P] - 0.05 * X[i * P + 2] + 0.1 * cp_ml_normal(&s);
        label[i] = y[i] + 0.1 * cp_ml_normal(&s) > 2.5; /* about half of each class */
    }
}

TEST(splitmix64_reference)
{
    /* the first outputs for seed 0 of the reference C implementation (Vigna) */
    uint64_t s = 0;
    CHECK(cp_ml_splitmix64(&s) == 0xe220a8397b1dcdafULL);
    CHECK(cp_ml_splitmix64(&s) == 0x6e789e6aa1b965f4ULL);
}

TEST(folds_balanced_and_deterministic)
{
    int a[103], b[103], c[103], count[5] = {0};
    struct cp_error err = {0};
    CHECK_INT(cp_ml_folds(a, 103, 5, 9, &err), 0);
    CHECK_INT(cp_ml_folds(b, 103, 5, 9, &err), 0);
    CHECK_INT(cp_ml_folds(c, 103, 5, 10, &err), 0);
    int same = 1, differ = 0;
    for (int i = 0; i < 103; i++) {
        count[a[i]]++;
        same &= a[i] == b[i];
        differ += a[i] != c[i];
    }
    CHECK(same);
    CHECK(differ > 0);
    for (int f = 0; f < 5; f++)
        CHECK(count[f] == 20 || count[f] == 21);
    size_t perm[50];
    int seen[50] = {0}, ok = 1;
    cp_ml_permutation(perm, 50, 3);
    for (int i = 0; i < 50; i++)
        seen[perm[i]]++;
    for (int i = 0; i < 50; i++)
        ok &= seen[i] == 1;
    CHECK(ok);
    CHECK(cp_ml_folds(a, 3, 5, 1, &err) == -CP_EDATA);
}

TEST(folds_stratified)
{
    double lab[40];
    int fold[40], ones[4] = {0}, all[4] = {0};
    for (int i = 0; i < 40; i++)
        lab[i] = i % 5 == 0; /* 8 of class 1 */
    struct cp_error err = {0};
    CHECK_INT(cp_ml_folds_stratified(fold, lab, 40, 4, 1, &err), 0);
    for (int i = 0; i < 40; i++) {
        ones[fold[i]] += lab[i] == 1;
        all[fold[i]]++;
    }
    for (int f = 0; f < 4; f++) {
        CHECK_INT(ones[f], 2);
        CHECK_INT(all[f], 10);
    }
    lab[0] = 0;
    lab[5] = lab[10] = lab[15] = lab[20] = lab[25] = 0; /* 2 ones left < 4 folds */
    CHECK(cp_ml_folds_stratified(fold, lab, 40, 4, 1, &err) == -CP_EDATA);
    CHECK(strstr(err.msg, "class 1 has 2 cells") != NULL);
}

TEST(standardize)
{
    double mean[P], sd[P], Z[N * P];
    struct cp_error err = {0};
    CHECK_INT(cp_ml_standardize_fit(X, N, P, NULL, mean, sd, &err), 0);
    cp_ml_standardize_apply(X, N, P, mean, sd, Z);
    for (int j = 0; j < P; j++) {
        double s = 0, ss = 0;
        for (int i = 0; i < N; i++) {
            s += Z[i * P + j];
            ss += Z[i * P + j] * Z[i * P + j];
        }
        CHECK_NEAR(s / N, 0, 1e-14);
        CHECK_NEAR(ss / N, 1, 1e-12); /* population sd */
    }
    double K[6] = {1, 2, 1, 3, 1, 4};
    const char *names[] = {"ir_2", "qd_2"};
    CHECK(cp_ml_standardize_fit(K, 3, 2, names, mean, sd, &err) == -CP_EDATA);
    CHECK(strstr(err.msg, "feature 'ir_2' is constant") != NULL);
}

/* Residual r = y - Xb - b0 of raw data. */
static void residual(const double *coef, double b0, double *r)
{
    cp_ml_predict_linear(X, N, P, coef, b0, r);
    for (int i = 0; i < N; i++)
        r[i] = y[i] - r[i];
}

TEST(enet_optimality)
{
    static const double cases[][2] = {{0.01, 0.5}, {0.05, 1.0}, {0.002, 0.1}};
    for (int c = 0; c < 3; c++) {
        double a = cases[c][0], l1 = cases[c][1], coef[P] = {0}, b0, r[N];
        struct cp_error err = {0};
        CHECK_INT(cp_ml_fit_enet(X, y, N, P, a, l1, NULL, coef, &b0, &err), 0);
        residual(coef, b0, r);
        double rs = 0;
        for (int i = 0; i < N; i++)
            rs += r[i];
        CHECK_NEAR(rs / N, 0, 1e-12); /* intercept: mean residual zero */
        int zeros = 0;
        for (int j = 0; j < P; j++) {
            double g = 0;
            for (int i = 0; i < N; i++)
                g += X[i * P + j] * r[i];
            g = g / N - a * (1 - l1) * coef[j];
            if (coef[j] == 0) {
                CHECK(fabs(g) <= a * l1 * (1 + 1e-9));
                zeros++;
            } else {
                CHECK_NEAR(g, a * l1 * (coef[j] > 0 ? 1 : -1), 1e-9);
            }
        }
        if (c == 1)
            CHECK(zeros > 0); /* the lasso case sets some coefficients to zero */
    }
}

TEST(enet_l1_zero_is_ridge)
{
    /* 1/(2n)||r||^2 + alpha/2 ||b||^2 is ridge with lambda = n alpha: two solvers agree */
    double ce[P] = {0}, cr[P], be, br;
    struct cp_error err = {0};
    CHECK_INT(cp_ml_fit_enet(X, y, N, P, 0.03, 0.0, NULL, ce, &be, &err), 0);
    CHECK_INT(cp_ml_fit_ridge(X, y, N, P, N * 0.03, cr, &br, &err), 0);
    for (int j = 0; j < P; j++)
        CHECK_NEAR(ce[j], cr[j], 1e-9 * fabs(cr[j]) + 1e-13);
    CHECK_NEAR(be, br, 1e-9);
}

TEST(ridge_normal_equations)
{
    double coef[P], b0, r[N];
    struct cp_error err = {0};
    CHECK_INT(cp_ml_fit_ridge(X, y, N, P, 2.5, coef, &b0, &err), 0);
    residual(coef, b0, r);
    for (int j = 0; j < P; j++) { /* X' r = lambda b (with r summing to zero) */
        double g = 0;
        for (int i = 0; i < N; i++)
            g += X[i * P + j] * r[i];
        CHECK_NEAR(g, 2.5 * coef[j], 1e-9);
    }
    double grid[3] = {0.1, 1, 10}, gcv[3], c2[P], b2;
    size_t k = 9;
    CHECK_INT(cp_ml_fit_ridge_gcv(X, y, N, P, grid, 3, gcv, &k, c2, &b2, &err), 0);
    CHECK(k < 3 && gcv[k] <= gcv[0] && gcv[k] <= gcv[1] && gcv[k] <= gcv[2]);
    CHECK(cp_ml_fit_ridge(X, y, 4, P, 1, coef, &b0, &err) == -CP_EDATA);
}

TEST(logistic_gradient_zero)
{
    double coef[P] = {0}, b0 = 0, z[N], C = 0.7;
    struct cp_error err = {0};
    CHECK_INT(cp_ml_fit_logistic(X, label, N, P, C, NULL, coef, &b0, &err), 0);
    cp_ml_predict_linear(X, N, P, coef, b0, z);
    double g0 = 0;
    for (int i = 0; i < N; i++)
        g0 += 1 / (1 + exp(-z[i])) - label[i];
    CHECK_NEAR(C * g0, 0, 1e-9);
    for (int j = 0; j < P; j++) {
        double g = 0;
        for (int i = 0; i < N; i++)
            g += X[i * P + j] * (1 / (1 + exp(-z[i])) - label[i]);
        CHECK_NEAR(C * g + coef[j], 0, 1e-9);
    }
    double same[N];
    for (int i = 0; i < N; i++)
        same[i] = 1;
    CHECK(cp_ml_fit_logistic(X, same, N, P, C, NULL, coef, &b0, &err) == -CP_EDATA);
}

TEST(metrics_by_hand)
{
    double t[6] = {0, 0, 0, 1, 1, 1}, s[6] = {0.1, 0.6, 0.4, 0.6, 0.9, 0.3};
    struct cp_ml_metrics m;
    struct cp_error err = {0};
    CHECK_INT(cp_ml_metrics_classification(t, s, 6, &m, &err), 0);
    /* predicted 0 1 0 1 1 0: 4 of 6 right; recalls 2/3 and 2/3; AUC: pairs (1 vs 0):
     * 0.6: > 0.1, = 0.6, > 0.4 -> 2.5; 0.9: 3; 0.3: > 0.1 -> 1; 6.5 / 9 */
    CHECK_NEAR(m.accuracy, 4.0 / 6, 1e-15);
    CHECK_NEAR(m.balanced_accuracy, 2.0 / 3, 1e-15);
    CHECK_NEAR(m.auc, 6.5 / 9, 1e-15);
    double yl[2] = {2, 3}, yh[2] = {log10(110), log10(900)};
    cp_ml_metrics_regression(yl, yh, 2, &m);
    CHECK_NEAR(m.rmse, sqrt((100.0 + 10000.0) / 2), 1e-9);
    CHECK_NEAR(m.mape, 100 * (0.1 + 0.1) / 2, 1e-9);
}

static int cv_error(const double *Xm, const double *ym, size_t n, enum cp_ml_algo a,
                    const char *want)
{
    static const char *const names[P] = {"qd_2", "ce_mean", "ir_2", "qd_slope_last10"};
    struct cp_ml_cv_config cfg = {.algo = a, .feature_names = names};
    struct cp_ml_cv cv;
    struct cp_error err = {0};
    int rc = cp_ml_cv_run(&cfg, Xm, ym, n, P, &cv, &err);
    if (rc != -CP_EDATA || !strstr(err.msg, want)) {
        fprintf(stderr, "got %d '%s', want '%s'\n", rc, err.msg, want);
        return 0;
    }
    return cv.fold == NULL; /* released on error */
}

TEST(cv_bad_input)
{
    static double Xb[N * P];
    memcpy(Xb, X, sizeof X);
    CHECK(cv_error(X, y, 9, CP_ML_ENET,
                   "too few cells for 5-fold cross-validation: 9, need at "
                   "least 10"));
    Xb[7 * P + 1] = NAN;
    CHECK(cv_error(Xb, y, N, CP_ML_RIDGE, "feature 'ce_mean' of row 7 is nan"));
    memcpy(Xb, X, sizeof X);
    for (int i = 0; i < N; i++)
        Xb[i * P + 2] = 0.015;
    CHECK(cv_error(Xb, y, N, CP_ML_ENET,
                   "feature 'ir_2' is constant (0.015) in "
                   "all 60 cells"));
    memcpy(Xb, X, sizeof X);
    for (int i = 0; i < N; i++) /* constant in every cell but one: one training set sees it */
        Xb[i * P + 3] = i == 0 ? 2.0 : 1.0;
    CHECK(cv_error(Xb, y, N, CP_ML_RIDGE,
                   "feature 'qd_slope_last10' is constant (1) in the 48 "
                   "training cells of outer fold"));
    CHECK(cv_error(X, y, N, CP_ML_LOGISTIC, "expected 0 or 1"));
}

/* A grid point whose fit stops short is not chosen. In one sweep only a penalty that keeps
 * every coefficient at zero converges, so that is what the search must pick; with a grid of
 * weak penalties only, nothing converges and the error says so. */
TEST(cv_unconverged_grid_points)
{
    struct cp_ml_solver one_sweep = {1e-12, 1};
    struct cp_ml_cv_config cfg = {.algo = CP_ML_ENET, .seed = 3, .solver = &one_sweep};
    struct cp_ml_cv cv;
    struct cp_error err = {0};
    CHECK_INT(cp_ml_cv_run(&cfg, X, y, N, P, &cv, &err), 0);
    for (size_t j = 0; j < P; j++)
        CHECK(cv.final.coef && cv.final.coef[j] == 0);
    cp_ml_cv_release(&cv);
    static const double weak[] = {1e-6, 1e-5};
    cfg.grid = weak;
    cfg.ngrid = 2;
    CHECK_INT(cp_ml_cv_run(&cfg, X, y, N, P, &cv, &err), -CP_EDATA);
    CHECK(strstr(err.msg, "no hyperparameter of the grid converged") != NULL);
    cp_ml_cv_release(&cv);
}

TEST(cv_deterministic_and_consistent)
{
    struct cp_ml_cv_config cfg = {.algo = CP_ML_ENET, .seed = 3};
    struct cp_ml_cv a, b;
    struct cp_error err = {0};
    CHECK_INT(cp_ml_cv_run(&cfg, X, y, N, P, &a, &err), 0);
    CHECK_INT(cp_ml_cv_run(&cfg, X, y, N, P, &b, &err), 0);
    CHECK(memcmp(a.pred, b.pred, N * sizeof(double)) == 0);
    CHECK(memcmp(a.inner_fold, b.inner_fold, 5 * N * sizeof(int)) == 0);
    for (int i = 0; i < N; i++) /* a test cell is in no inner fold of its own outer fold */
        CHECK(a.inner_fold[a.fold[i] * N + i] == -1);
    struct cp_ml_metrics m;
    cp_ml_metrics_regression(y, a.pred, N, &m);
    CHECK_NEAR(m.rmse, a.metrics.rmse, 1e-12);
    CHECK_INT(a.beats_baseline, a.metrics.rmse < a.baseline.rmse);
    CHECK(a.final.param > 0 && a.final.coef != NULL);
    CHECK_INT(a.final.at_grid_edge, a.final.param == 1e-4 || a.final.param == 1.0);
    cp_ml_cv_release(&a);
    cp_ml_cv_release(&b);
    cfg.algo = CP_ML_LOGISTIC;
    CHECK_INT(cp_ml_cv_run(&cfg, X, label, N, P, &a, &err), 0);
    CHECK(a.metrics.auc > 0.5 && a.metrics.auc <= 1);
    CHECK_NEAR(a.baseline.balanced_accuracy, 0.5, 1e-15); /* one majority class in every fold */
    cp_ml_cv_release(&a);
    double edge[3] = {1e8, 1e6, 1e7}; /* all far too strong: GCV takes the weakest, an edge */
    cfg.algo = CP_ML_RIDGE;
    cfg.grid = edge;
    cfg.ngrid = 3;
    CHECK_INT(cp_ml_cv_run(&cfg, X, y, N, P, &a, &err), 0);
    CHECK(a.final.param == 1e6);
    CHECK_INT(a.final.at_grid_edge, 1);
    cp_ml_cv_release(&a);
    cp_ml_cv_release(&a); /* released twice: harmless */
}

/* Every allocation of a nested CV fails in turn: a clean error, nothing leaked (valgrind). */
TEST(torture)
{
    static const enum cp_ml_algo algos[] = {CP_ML_ENET, CP_ML_RIDGE, CP_ML_LOGISTIC};
    double grid[2] = {0.01, 0.1};
    for (int a = 0; a < 3; a++) {
        int bad = 0, ok = 0;
        struct cp_ml_cv_config cfg = {
            .algo = algos[a], .folds = 2, .inner_folds = 2, .grid = grid, .ngrid = 2};
        for (long k = 1; k < 400 && !ok; k++) {
            struct cp_ml_cv cv;
            struct cp_error err = {0};
            cp_alloc_fail_at(cp_alloc_count() + k);
            int rc = cp_ml_cv_run(&cfg, X, a == 2 ? label : y, N, P, &cv, &err);
            cp_alloc_fail_at(0);
            bad += rc != 0 && rc != -CP_EINTERNAL;
            ok += rc == 0;
            cp_ml_cv_release(&cv);
        }
        CHECK_INT(bad, 0);
        CHECK(ok > 0);
    }
}

int main(void)
{
    make_data();
    RUN(torture);
    RUN(splitmix64_reference);
    RUN(folds_balanced_and_deterministic);
    RUN(folds_stratified);
    RUN(standardize);
    RUN(enet_optimality);
    RUN(enet_l1_zero_is_ridge);
    RUN(ridge_normal_equations);
    RUN(logistic_gradient_zero);
    RUN(metrics_by_hand);
    RUN(cv_bad_input);
    RUN(cv_unconverged_grid_points);
    RUN(cv_deterministic_and_consistent);
    return DONE();
}
