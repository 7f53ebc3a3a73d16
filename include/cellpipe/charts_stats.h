#ifndef CELLPIPE_CHARTS_STATS_H
#define CELLPIPE_CHARTS_STATS_H
/*
 * Figures of the fleet statistics (render/charts_stats.c; the results are statistics.h's):
 * the Kaplan-Meier curves of cycle life per group and the correlation matrix of the metrics.
 * They read the struct only, so they draw whatever the statistics stage computed.
 * cp_charts_build() adds them as the plots `survival` and `correlation`.
 */
#include <stddef.h>

#include "cellpipe/plot.h"

struct cp_run;
struct cp_statistics;

/*
 * Survival of cycle life, one step curve per group in percent from (0, 100 %), its log-log
 * band where defined, a tick at every censored time, a dashed line at 50 % ("median"); legend
 * "GROUP (n=.., events=..)". colors[g] is group g's palette index (cp_charts_stats_colors);
 * NULL: the group's position in s->groups. group_by names the grouping column (the title).
 * NULL when out of memory.
 */
struct cp_figure *cp_charts_survival_colored(const struct cp_statistics *s, const char *group_by,
                                             const int *colors);
/* cp_charts_survival_colored() with colors NULL: the same colours as the report's other plots
 * when every cell has a group value (the statistics leave cells without one out). */
struct cp_figure *cp_charts_survival(const struct cp_statistics *s, const char *group_by);

/*
 * The palette index of each group of s as the report's other plots colour it: its position
 * among the sorted values of column group_by over all cells of the run (render/charts_data.c),
 * or its own position when the run has no such value. colors has s->ngroups slots. 0 or -1.
 */
int cp_charts_stats_colors(const struct cp_run *run, const char *group_by,
                           const struct cp_statistics *s, int *colors);

/* The survival figure of run->statistics, grouped by the `statistics:` section's group_by and
 * coloured as the run's other plots. NULL when out of memory or there are no statistics. */
struct cp_figure *cp_charts_survival_run(const struct cp_run *run);

/* Spearman's rho of every pair of metrics as a heat map (n/a where too few pairs or a metric
 * is constant). NULL when out of memory. */
struct cp_figure *cp_charts_correlation(const struct cp_statistics *s);

#endif
