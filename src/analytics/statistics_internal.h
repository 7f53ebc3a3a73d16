#ifndef CELLPIPE_STATISTICS_INTERNAL_H
#define CELLPIPE_STATISTICS_INTERNAL_H
/* Private to src/analytics/statistics*.c: the cells of each group and the pair tests. */
#include <stddef.h>

#include "cellpipe/statistics.h"

/* Cells by group: the members of group g are member[start[g] .. start[g + 1]). */
struct stats_members {
    size_t *gid; /* per cell; SIZE_MAX: no group */
    size_t *member, *start;
};

/* Index of the group named `name` in s->groups (sorted by name), or -1. */
long stats_group_index(const struct cp_statistics *s, const char *name);

/* Values of metric `metric` of group g into v, or (metric SIZE_MAX) the survival times into v
 * and the events into event. Returns the count (the group's cells). */
size_t stats_gather(const struct cp_statistics_input *in, const struct stats_members *m, size_t g,
                    size_t metric, double *v, int *event);

/* Log-rank over the groups gsel[0..k), their cells numbered 0..k-1 in grp. t, ev and grp
 * hold ncells values each (scratch). */
int stats_logrank_of(const struct cp_statistics_input *in, const struct stats_members *m,
                     const size_t *gsel, size_t k, double *t, int *ev, size_t *grp,
                     struct cp_stats_logrank *out);

/* The compared pairs into s->lrs (a, b set; nlrs); CP_ECONFIG for a group with no cell. */
int stats_pairs_resolve(const struct cp_statistics_input *in, struct cp_statistics *s,
                        struct cp_error *err);
/* Mann-Whitney, Welch and log-rank of every pair, then the corrections. */
int stats_pairs_test(const struct cp_statistics_input *in, struct cp_statistics *s,
                     const struct stats_members *m, double *t, int *ev, size_t *grp);

#endif
