#ifndef CELLPIPE_LTTB_H
#define CELLPIPE_LTTB_H
/*
 * Downsampling for plots (render/lttb.c): Largest-Triangle-Three-Buckets (Steinarsson 2013),
 * changed so the global minimum and maximum of y are always kept. The first and last points
 * are always kept too, so the drawn curve spans the same range and never loses a spike that
 * sets the axis.
 *
 * x must be finite and sorted ascending (cycle order); y finite.
 */
#include <stddef.h>

/*
 * Choose about `m` of the n points; writes their indices, ascending, into idx (room for
 * m + 2 entries: the extremes can add one) and returns how many. When n <= m every index is
 * written. m < 3 is treated as 3.
 */
size_t cp_lttb(const double *x, const double *y, size_t n, size_t m, size_t *idx);

#endif
