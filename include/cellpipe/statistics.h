#ifndef CELLPIPE_STATISTICS_H
#define CELLPIPE_STATISTICS_H
/*
 * Fleet statistics of one run (analytics/statistics.c; the `statistics:` section): cells
 * grouped by a metadata column, chosen per-cell metrics described per group, correlated over
 * all cells, compared between groups (Mann-Whitney U, Welch's t, Cliff's delta, corrected
 * across the comparisons; Kruskal-Wallis across all groups), and cycle life as right-censored
 * survival (Kaplan-Meier per group, log-rank across all groups and per compared pair).
 * The functions of one statistic are in stats.h; this is the whole set for a report.
 *
 * Families for the correction: the Mann-Whitney p-values of every compared pair and metric
 * together with the pairwise log-rank p-values form one family (the tests whose results the
 * report states as differences, so the chance of stating any false difference is at most
 * alpha); the Welch p-values form their own. A difference is "significant" when its
 * corrected p-value is below alpha.
 */
#include <stddef.h>

#include "cellpipe/stats.h"

struct cp_error;
struct cp_table;

#define CP_STATS_NO_CORRECTION (-1) /* correction `none`; else enum cp_stats_adjust_method */

struct cp_statistics_input {
    size_t ncells;
    const char *const *group; /* group label of each cell; NULL or "": left out */
    size_t nmetrics;
    const char *const *metric_names;
    const double *const *metric; /* metric[m][cell]; NaN: missing */
    const double *time;          /* survival time of each cell (cycles); NaN: no data */
    const int *event;            /* 1 reached end of life at time, 0 censored there */
    /* Pairs to compare as group names, a[i] vs b[i]; npairs 0: all pairs, in sorted order.
     * A pair naming a group that has no cell is an error (CP_ECONFIG). */
    const char *const *pair_a, *const *pair_b;
    size_t npairs;
    double alpha, level;
    int correction; /* CP_STATS_HOLM, CP_STATS_BONFERRONI or CP_STATS_NO_CORRECTION */
};

struct cp_statistics_group {
    char *name;
    size_t n;                   /* cells in the group */
    struct cp_stats_desc *desc; /* [nmetrics] */
    struct cp_stats_km km;      /* survival of cycle life */
};

struct cp_statistics_cmp {
    size_t a, b, metric; /* groups a vs b on metric */
    struct cp_stats_cmp cmp;
    double u_p_adj, t_p_adj; /* corrected; NaN when the test was not run (too few cells) */
};

struct cp_statistics_lr {
    size_t a, b;
    struct cp_stats_logrank lr;
    double p_adj;
};

struct cp_statistics {
    size_t ngroups, nmetrics;
    struct cp_statistics_group *groups; /* sorted by name */
    char **metric_names;
    struct cp_stats_corr *corr;     /* [nmetrics * nmetrics], row-major, symmetric */
    struct cp_stats_kw *kruskal;    /* [nmetrics] */
    struct cp_statistics_cmp *cmps; /* pair-major: for each pair, every metric */
    size_t ncmps;
    struct cp_stats_logrank logrank; /* all groups */
    struct cp_statistics_lr *lrs;    /* one per compared pair */
    size_t nlrs;
    double alpha, level;
    int correction;
};

/* Compute everything. 0, or a negative code with err set (out is then empty). */
int cp_statistics_compute(const struct cp_statistics_input *in, struct cp_statistics *out,
                          struct cp_error *err);
void cp_statistics_release(struct cp_statistics *s);

/* Index of the metric named `name`, or -1. */
long cp_statistics_metric(const struct cp_statistics *s, const char *name);

/*
 * The significant differences in words, one sentence each, most significant first, at most
 * `max` (0: all): "LFP-18650-A lives longer than NMC-POUCH-B: median 1,120 vs 760 cycles,
 * log-rank p = 0.003" for survival, "LFP-18650-A has a higher fade_rate than ...: median
 * 0.41 vs 0.62, Mann-Whitney p = 0.01" for metrics (not for cycle_life: over the finished
 * cells only it is biased toward the fast faders, so life differences come from log-rank). Each
 * line is cp_malloc'ed; *out is an array of *n of them (cp_statistics_lines_free). 0 or
 * -CP_EINTERNAL.
 */
int cp_statistics_findings(const struct cp_statistics *s, size_t max, char ***out, size_t *n);
void cp_statistics_lines_free(char **lines, size_t n);

/* A group's median life for tables: "1,120 (980-1,260)", "1,120 (980-not reached)",
 * "not reached" (en dash between the bounds, UTF-8). */
void cp_statistics_median_text(const struct cp_stats_km *km, char *buf, size_t n);
/* What a report says when nothing is significant: "No significant difference at alpha = 0.05
 * (Holm-corrected p-values)." */
void cp_statistics_none_text(const struct cp_statistics *s, char *buf, size_t n);

/*
 * The tidy table of results/statistics.csv and the Statistics sheet: columns analysis
 * (descriptive, correlation, comparison, kruskal, survival, logrank), group, group_b, metric,
 * metric_b, statistic, value, note ("not enough cells" where a test could not run).
 * NULL when out of memory.
 */
struct cp_table *cp_statistics_table(const struct cp_statistics *s);

#endif
