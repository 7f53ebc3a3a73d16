/* Pairs of groups: which are compared, the tests and their correction (statistics.h). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "statistics_internal.h"

int stats_pairs_resolve(const struct cp_statistics_input *in, struct cp_statistics *s,
                        struct cp_error *err)
{
    size_t k = s->ngroups, n = in->npairs ? in->npairs : k * (k > 0 ? k - 1 : 0) / 2;
    if (!(s->lrs = cp_calloc(n + 1, sizeof *s->lrs)))
        return cp_error_oom(err);
    if (!in->npairs) {
        for (size_t a = 0; a < k; a++)
            for (size_t b = a + 1; b < k; b++)
                s->lrs[s->nlrs++] = (struct cp_statistics_lr){.a = a, .b = b};
        return 0;
    }
    for (size_t i = 0; i < in->npairs; i++) {
        long a = stats_group_index(s, in->pair_a[i]), b = stats_group_index(s, in->pair_b[i]);
        const char *missing = a < 0 ? in->pair_a[i] : in->pair_b[i];
        if (a < 0 || b < 0)
            return cp_error_set(err, CP_ECONFIG, "no cell has group '%s' (compare: \"%s vs %s\")",
                                missing, in->pair_a[i], in->pair_b[i]);
        if (a == b)
            return cp_error_set(err, CP_ECONFIG,
                                "compare: \"%s vs %s\" compares a group with itself", in->pair_a[i],
                                in->pair_b[i]);
        s->lrs[s->nlrs++] = (struct cp_statistics_lr){.a = (size_t)a, .b = (size_t)b};
    }
    return 0;
}

static int compare(const struct cp_statistics_input *in, struct cp_statistics *s,
                   const struct stats_members *m, double *buf)
{
    size_t nm = in->nmetrics;
    if (!(s->cmps = cp_calloc(s->nlrs * nm + 1, sizeof *s->cmps)))
        return -CP_EINTERNAL;
    for (size_t p = 0; p < s->nlrs; p++)
        for (size_t j = 0; j < nm; j++) {
            struct cp_statistics_cmp *c = &s->cmps[s->ncmps++];
            *c = (struct cp_statistics_cmp){.a = s->lrs[p].a, .b = s->lrs[p].b, .metric = j};
            size_t na = stats_gather(in, m, c->a, j, buf, NULL);
            size_t nb = stats_gather(in, m, c->b, j, buf + na, NULL);
            if (cp_stats_compare(buf, na, buf + na, nb, &c->cmp) < 0)
                return -CP_EINTERNAL;
        }
    return 0;
}

/* One family: the Mann-Whitney p-values of every pair and metric, then the pairwise log-rank
 * p-values (the tests whose results are reported as differences); Welch's its own family. */
static int adjust(struct cp_statistics *s)
{
    size_t n = s->ncmps + s->nlrs;
    double *p = cp_malloc((n + 1) * sizeof *p), *w = cp_malloc((s->ncmps + 1) * sizeof *w);
    int rc = p && w ? 0 : -CP_EINTERNAL;
    for (size_t i = 0; rc == 0 && i < s->ncmps; i++) {
        p[i] = s->cmps[i].cmp.u_p;
        w[i] = s->cmps[i].cmp.t_p;
    }
    for (size_t i = 0; rc == 0 && i < s->nlrs; i++)
        p[s->ncmps + i] = s->lrs[i].lr.p;
    if (rc == 0 && s->correction != CP_STATS_NO_CORRECTION) {
        enum cp_stats_adjust_method m = (enum cp_stats_adjust_method)s->correction;
        rc = cp_stats_adjust(p, n, m, p);
        if (rc == 0)
            rc = cp_stats_adjust(w, s->ncmps, m, w);
    }
    for (size_t i = 0; rc == 0 && i < s->ncmps; i++) {
        s->cmps[i].u_p_adj = p[i];
        s->cmps[i].t_p_adj = w[i];
    }
    for (size_t i = 0; rc == 0 && i < s->nlrs; i++)
        s->lrs[i].p_adj = p[s->ncmps + i];
    cp_free(p);
    cp_free(w);
    return rc;
}

int stats_pairs_test(const struct cp_statistics_input *in, struct cp_statistics *s,
                     const struct stats_members *m, double *t, int *ev, size_t *grp)
{
    int rc = compare(in, s, m, t);
    for (size_t p = 0; rc == 0 && p < s->nlrs; p++) {
        size_t gsel[2] = {s->lrs[p].a, s->lrs[p].b};
        rc = stats_logrank_of(in, m, gsel, 2, t, ev, grp, &s->lrs[p].lr);
    }
    if (rc == 0)
        rc = adjust(s);
    return rc;
}
