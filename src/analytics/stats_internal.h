/*
 * Ranking shared by the rank statistics (private to src/analytics/stats_*.c): Mann-Whitney in
 * stats_compare.c, Spearman in stats_corr.c, Kruskal-Wallis in stats_kruskal.c.
 */
#ifndef CELLPIPE_STATS_INTERNAL_H
#define CELLPIPE_STATS_INTERNAL_H
#include <stddef.h>

/*
 * rank[i] = the 1-based rank of x[i] among x[0..n), tied values sharing the average of their
 * ranks; *ties = sum(t^3 - t) over the groups of t equal values (NULL when not wanted).
 * x holds no NaN. 0, or -CP_EINTERNAL when out of memory.
 */
int stats_rank(const double *x, size_t n, double *rank, double *ties);

#endif
