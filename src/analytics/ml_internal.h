#ifndef CELLPIPE_ML_INTERNAL_H
#define CELLPIPE_ML_INTERNAL_H
/* Shared between the ML layer's files (src/analytics/ml*.c); not a public contract. */
#include <stddef.h>

#include "cellpipe/ml.h"

/* tol and max_iter of s, or the defaults. */
void cp_ml_solver_defaults(const struct cp_ml_solver *s, double *tol, long *max_iter);

/* The centred normal equations: G = Xc' Xc (p x p), c = Xc' yc, with the means. */
struct cp_ml_gram {
    size_t n, p;
    double *xmean, *G, *c;
    double ymean;
};
/* 0 or -1 (out of memory; release anyway). */
int cp_ml_gram_init(struct cp_ml_gram *g, const double *X, const double *y, size_t n, size_t p);
void cp_ml_gram_release(struct cp_ml_gram *g);
/* cp_ml_fit_enet on a prepared Gram matrix (coef: start and result). */
int cp_ml_enet_gram(const struct cp_ml_gram *g, double alpha, double l1_ratio,
                    const struct cp_ml_solver *s, double *coef, double *intercept,
                    struct cp_error *err);

/* cp_ml_standardize_fit with the set of cells named in the message ("the 40 training cells of
 * fold 2"). */
int cp_ml_standardize_where(const double *X, size_t n, size_t p, const char *const *names,
                            const char *where, double *mean, double *sd, struct cp_error *err);

#endif
