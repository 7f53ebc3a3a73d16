/*
 * Nested cross-validation on 1,000 cells x 20 features (issue 17: training with nested CV
 * under 1 s on 2 cores): each algorithm's whole cp_ml_cv_run with the default grids, 5 outer x
 * 5 inner folds plus the final model's CV and refit. Prints the best of 3 wall times.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "cellpipe/error.h"
#include "cellpipe/ml.h"

#define CELLS 1000
#define FEATURES 20

static double X[CELLS * FEATURES], y[CELLS], label[CELLS];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Correlated features (one common factor), life from a third of them. */
static void fill(void)
{
    uint64_t s = 42;
    for (int i = 0; i < CELLS; i++) {
        double common = cp_ml_normal(&s), lin = 0;
        for (int j = 0; j < FEATURES; j++) {
            double z = 0.5 * common + 0.85 * cp_ml_normal(&s);
            X[i * FEATURES + j] = (1 + j) * (1 + 0.1 * z);
            if (j % 3 == 0)
                lin += (j % 2 ? -0.04 : 0.05) * z;
        }
        y[i] = 2.9 + lin + 0.05 * cp_ml_normal(&s);
        label[i] = y[i] > 2.9;
    }
}

int main(void)
{
    fill();
    static const enum cp_ml_algo algos[] = {CP_ML_ENET, CP_ML_RIDGE, CP_ML_LOGISTIC};
    for (int a = 0; a < 3; a++) {
        double best = INFINITY;
        struct cp_ml_cv cv = {0};
        for (int rep = 0; rep < 3; rep++) {
            struct cp_ml_cv_config cfg = {.algo = algos[a], .seed = 7};
            struct cp_error err = {0};
            cp_ml_cv_release(&cv);
            double t0 = now_s();
            if (cp_ml_cv_run(&cfg, X, algos[a] == CP_ML_LOGISTIC ? label : y, CELLS, FEATURES, &cv,
                             &err)) {
                fprintf(stderr, "bench_ml: %s\n", err.msg);
                return 1;
            }
            double dt = now_s() - t0;
            best = dt < best ? dt : best;
        }
        if (algos[a] == CP_ML_LOGISTIC)
            printf("ml %s nested CV: %d cells x %d features: %.1f ms best of 3 (goal < 1000 ms); "
                   "cv_balanced_accuracy %.3f (baseline %.3f), cv_auc %.3f\n",
                   cp_ml_algo_name(algos[a]), CELLS, FEATURES, 1e3 * best,
                   cv.metrics.balanced_accuracy, cv.baseline.balanced_accuracy, cv.metrics.auc);
        else
            printf("ml %s nested CV: %d cells x %d features: %.1f ms best of 3 (goal < 1000 ms); "
                   "cv_rmse %.1f cycles (baseline %.1f), cv_mape %.2f %%\n",
                   cp_ml_algo_name(algos[a]), CELLS, FEATURES, 1e3 * best, cv.metrics.rmse,
                   cv.baseline.rmse, cv.metrics.mape);
        cp_ml_cv_release(&cv);
    }
    return 0;
}
