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

/*
 * MinMaxLTTB (Van Der Donckt et al. 2023): keep the min and max of y in each of 2m equal index
 * buckets (one pass over the data), then run cp_lttb on those ~4m candidates. The same
 * guarantees as cp_lttb (first, last, global min and max), much faster when n >> m.
 * Returns the count written to idx (room for m + 2), or -1 when out of memory.
 */
long cp_minmax_lttb(const double *x, const double *y, size_t n, size_t m, size_t *idx);

#endif
