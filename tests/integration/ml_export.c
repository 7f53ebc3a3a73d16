/*
 * Writes a synthetic early-life data set and cellpipe's nested cross-validation of it, for
 * tests/integration/ml_sklearn.sh (which refits everything with scikit-learn):
 *   data.csv            row,x0..x5,y,label        (y: log10 cycle life; label: life > 800)
 *   folds_<algo>.csv    row,fold,inner0..inner4   (inner: -1 for the outer fold's test cells)
 *   cv_<algo>.csv       row,pred,baseline_pred
 *   models_<algo>.csv   which,param,l1_ratio,intercept,c0..c5   (which: fold index or final)
 *   metrics_<algo>.csv  scope,metric,model,baseline               (scope: fold index or cv)
 *   gcv.csv             lambda,gcv  (ridge GCV curve on all cells, standardised)
 *   enet_raw.csv        alpha,l1_ratio,intercept,c0..c5  (direct fits on the raw features)
 * Numbers with 17 significant digits so they read back exactly.
 */
#include <math.h>
#include <stdio.h>

#include "cellpipe/error.h"
#include "cellpipe/ml.h"

#define N 120
#define P 6

static double X[N * P], y[N], label[N];

/* Correlated features on different scales; life depends on three of them. */
static void make_data(void)
{
    uint64_t s = 2019;
    static const double scale[P] = {1.1, 0.02, 3e-5, 0.9995, 30, 0.015};
    for (int i = 0; i < N; i++) {
        double z[P], common = cp_ml_normal(&s);
        for (int j = 0; j < P; j++) {
            z[j] = 0.6 * common + 0.8 * cp_ml_normal(&s);
            X[i * P + j] = scale[j] * (1 + 0.1 * z[j]) + (j == 3 ? 0 : 0.01 * scale[j]);
        }
        y[i] = 2.9 + 0.12 * z[0] - 0.08 * z[2] + 0.05 * z[4] + 0.06 * cp_ml_normal(&s);
        label[i] = pow(10, y[i]) > 800;
    }
}

static void row17(FILE *f, const double *v, int n)
{
    for (int k = 0; k < n; k++)
        fprintf(f, ",%.17g", v[k]);
    fputc('\n', f);
}

static FILE *open_in(const char *dir, const char *name, const char *algo)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s%s.csv", dir, name, algo ? "_" : "", algo ? algo : "");
    return fopen(path, "w");
}

static void metric_rows(FILE *f, const char *scope, const struct cp_ml_metrics *m,
                        const struct cp_ml_metrics *b, int classify)
{
    if (classify) {
        fprintf(f, "%s,accuracy,%.17g,%.17g\n", scope, m->accuracy, b->accuracy);
        fprintf(f, "%s,balanced_accuracy,%.17g,%.17g\n", scope, m->balanced_accuracy,
                b->balanced_accuracy);
        fprintf(f, "%s,auc,%.17g,%.17g\n", scope, m->auc, b->auc);
    } else {
        fprintf(f, "%s,rmse,%.17g,%.17g\n", scope, m->rmse, b->rmse);
        fprintf(f, "%s,mape,%.17g,%.17g\n", scope, m->mape, b->mape);
    }
}

static void model_row(FILE *f, const char *which, const struct cp_ml_model *m)
{
    fprintf(f, "%s,%.17g,%.17g,%.17g", which, m->param, m->l1_ratio, m->intercept);
    row17(f, m->coef, P);
}

static int write_cv(const char *dir, const struct cp_ml_cv *cv)
{
    const char *algo = cp_ml_algo_name(cv->algo);
    FILE *ff = open_in(dir, "folds", algo), *fc = open_in(dir, "cv", algo);
    FILE *fm = open_in(dir, "models", algo), *fx = open_in(dir, "metrics", algo);
    if (!ff || !fc || !fm || !fx)
        return 73;
    fprintf(ff, "row,fold");
    for (int f = 0; f < cv->folds; f++)
        fprintf(ff, ",inner%d", f);
    fprintf(ff, "\n");
    fprintf(fc, "row,pred,baseline_pred\n");
    for (size_t i = 0; i < cv->n; i++) {
        fprintf(ff, "%zu,%d", i, cv->fold[i]);
        for (int f = 0; f < cv->folds; f++)
            fprintf(ff, ",%d", cv->inner_fold ? cv->inner_fold[(size_t)f * cv->n + i] : -1);
        fprintf(ff, "\n");
        fprintf(fc, "%zu,%.17g,%.17g\n", i, cv->pred[i], cv->baseline_pred[i]);
    }
    fprintf(fm, "which,param,l1_ratio,intercept,c0,c1,c2,c3,c4,c5\n");
    fprintf(fx, "scope,metric,model,baseline\n");
    int classify = cv->algo == CP_ML_LOGISTIC;
    for (int f = 0; f < cv->folds; f++) {
        char scope[16];
        snprintf(scope, sizeof scope, "%d", f);
        model_row(fm, scope, &cv->per_fold[f].model);
        metric_rows(fx, scope, &cv->per_fold[f].metrics, &cv->per_fold[f].baseline, classify);
    }
    model_row(fm, "final", &cv->final);
    metric_rows(fx, "cv", &cv->metrics, &cv->baseline, classify);
    fprintf(fx, "cv,beats_baseline,%d,0\n", cv->beats_baseline);
    return fclose(ff) | fclose(fc) | fclose(fm) | fclose(fx) ? 73 : 0;
}

static int write_gcv(const char *dir)
{
    static double Z[N * P], mean[P], sd[P], grid[33], g[33], coef[P];
    struct cp_error err = {0};
    for (int k = 0; k < 33; k++)
        grid[k] = pow(10.0, -3 + 0.25 * k);
    size_t chosen;
    double b0;
    if (cp_ml_standardize_fit(X, N, P, NULL, mean, sd, &err))
        return 70;
    cp_ml_standardize_apply(X, N, P, mean, sd, Z);
    if (cp_ml_fit_ridge_gcv(Z, y, N, P, grid, 33, g, &chosen, coef, &b0, &err))
        return 70;
    FILE *f = open_in(dir, "gcv", NULL);
    if (!f)
        return 73;
    fprintf(f, "lambda,gcv\n");
    for (int k = 0; k < 33; k++)
        fprintf(f, "%.17g,%.17g\n", grid[k], g[k]);
    return fclose(f) ? 73 : 0;
}

static int write_raw_enet(const char *dir)
{
    static const double cases[][2] = {{1e-3, 0.5}, {1e-2, 1.0}, {1e-4, 0.1}};
    FILE *f = open_in(dir, "enet_raw", NULL);
    if (!f)
        return 73;
    fprintf(f, "alpha,l1_ratio,intercept,c0,c1,c2,c3,c4,c5\n");
    for (int c = 0; c < 3; c++) {
        double coef[P] = {0}, b0;
        struct cp_error err = {0};
        /* raw features span 1e-5..30: a hard problem for coordinate descent, and sklearn's */
        if (cp_ml_fit_enet(X, y, N, P, cases[c][0], cases[c][1], NULL, coef, &b0, &err)) {
            fprintf(stderr, "enet raw: %s\n", err.msg);
            return 70;
        }
        fprintf(f, "%.17g,%.17g,%.17g", cases[c][0], cases[c][1], b0);
        row17(f, coef, P);
    }
    return fclose(f) ? 73 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ml_export DIR\n");
        return 64;
    }
    make_data();
    FILE *fd = open_in(argv[1], "data", NULL);
    if (!fd)
        return 73;
    fprintf(fd, "row,x0,x1,x2,x3,x4,x5,y,label\n");
    for (int i = 0; i < N; i++) {
        fprintf(fd, "%d", i);
        row17(fd, X + i * P, P);
        fseek(fd, -1, SEEK_CUR);
        fprintf(fd, ",%.17g,%d\n", y[i], (int)label[i]);
    }
    if (fclose(fd))
        return 73;
    static const enum cp_ml_algo algos[] = {CP_ML_ENET, CP_ML_RIDGE, CP_ML_LOGISTIC};
    for (int a = 0; a < 3; a++) {
        struct cp_ml_cv_config cfg = {.algo = algos[a], .seed = 17};
        struct cp_ml_cv cv;
        struct cp_error err = {0};
        if (cp_ml_cv_run(&cfg, X, algos[a] == CP_ML_LOGISTIC ? label : y, N, P, &cv, &err)) {
            fprintf(stderr, "%s: %s\n", cp_ml_algo_name(algos[a]), err.msg);
            return 70;
        }
        int rc = write_cv(argv[1], &cv);
        cp_ml_cv_release(&cv);
        if (rc)
            return rc;
    }
    int rc = write_gcv(argv[1]);
    return rc ? rc : write_raw_enet(argv[1]);
}
