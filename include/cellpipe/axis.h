#ifndef CELLPIPE_AXIS_H
#define CELLPIPE_AXIS_H
/*
 * Axis ranges and "nice" ticks for plots (render/axis.c).
 *
 * Linear ticks are multiples of a step from {1, 2, 5} x 10^k. Log axes put ticks on decades
 * (1, 2, 5 within a decade when the range spans fewer than three decades). Labels are
 * formatted with the same number of decimals across one axis, and a real minus sign.
 *
 * No allocation: everything lives in struct cp_axis. Limits given as NaN are automatic.
 */
#include <stddef.h>

#define CP_AXIS_MAX_TICKS 64

struct cp_axis {
    int log;       /* log10 scale */
    double lo, hi; /* the visible range (positive on a log axis) */
    double step;   /* linear: tick step; log: 0 (decades) or the linear step used */
    int decimals;  /* digits after the point in labels; -1: exponent form */
    size_t nticks;
    double ticks[CP_AXIS_MAX_TICKS];
    size_t nminor; /* unlabelled minor ticks (log axes) */
    double minor[CP_AXIS_MAX_TICKS];
};

/* The nice step (1, 2 or 5 x 10^k) closest to range / target, never smaller. */
double cp_axis_nice_step(double range, int target);

/*
 * Set the visible range from the data extent [dmin, dmax] (finite; positive on a log axis),
 * padded by a small margin, then overridden by fixed_lo / fixed_hi when they are not NaN.
 * A degenerate extent (one value) is widened around it. Returns 0, or -1 when no range can
 * be set (no finite data, or no positive data on a log axis): the caller draws "no data".
 */
int cp_axis_range(struct cp_axis *ax, int log, double dmin, double dmax, double fixed_lo,
                  double fixed_hi);

/* Compute ticks for about `target` labelled ticks (at least 2) inside [lo, hi]. */
void cp_axis_ticks(struct cp_axis *ax, int target);

/* Format tick value v for this axis into buf (UTF-8, real minus sign). */
void cp_axis_format(const struct cp_axis *ax, double v, char *buf, size_t n);

/* Map a value to [0, 1] along the axis (log-aware); values outside give <0 or >1. */
double cp_axis_map(const struct cp_axis *ax, double v);

#endif
