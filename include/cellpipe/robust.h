#ifndef CELLPIPE_ROBUST_H
#define CELLPIPE_ROBUST_H
/*
 * Robust residuals of a record against its own local trend, shared by the per-cycle anomaly
 * scores (anomaly.c) and the validation `outlier` rule (validate.c); docs/fits.md "Anomalies"
 * and pipelines/README.md "outlier" state the rules as computed here.
 *
 * Residual of point i: y[i] minus the local trend at i. Inside the record (at least w/2
 * neighbours on each side) the trend is the median of the w values centred on i, which on a
 * straight or gently curved record sits on the curve. Near either end a centred window has
 * no support on one side, so there the window of the first (last) w values is used, and the
 * trend is a quadratic fitted to it robustly: iteratively reweighted least squares with
 * Tukey's bisquare weights (c = 4.685 robust deviations, 6 rounds), started from the line
 * through the window's median point with the median slope to it. A smooth
 * record, curved as capacity records are at their ends (fast early fade, a knee), then has
 * residuals of the size of its noise at the ends too, not of its slope or curvature, and a
 * spike at an end still stands out.
 *
 * Scale: 1.4826 x the median absolute deviation of the residuals, floored at `floor`, so that
 * a smooth, coarsely quantised record (MAD 0) neither switches the test off nor turns every
 * quantisation step into a hit. cp_robust_resolution gives the data's own resolution for
 * that floor.
 */
#include <stddef.h>

/* res[i] for i < m (x: positions, strictly increasing; NULL means 0, 1, 2, ...). Every y must
 * be finite. w is forced odd and at least 3; with m < 3 every residual is 0. 0, or
 * -CP_EINTERNAL when memory runs out. */
int cp_robust_residuals(const double *x, const double *y, size_t m, size_t w, double *res);

/* 1.4826 x median |r - median(r)| over r[0..m), at least floor. Sorts a copy. NaN when memory
 * runs out or m = 0. */
double cp_robust_scale(const double *r, size_t m, double floor);

/* The smallest positive difference between two distinct values of y[0..m) (the quantisation
 * step of a record written with few digits); 0 when fewer than two distinct values. */
double cp_robust_resolution(const double *y, size_t m);

#endif
